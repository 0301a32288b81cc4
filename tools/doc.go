// Package tools is the release-merge tool's library; cmd/strata is its
// command. It reads upstream/, the overlay (overlay/, linux2/,
// cmd/strata-agent) and each release as source and never links them, so it
// keeps working exactly when a release breaks the build.
//
// Those folders, the lock, the stock corpus and its entry points, the
// goldens and the composition types are this repository's as strata.yaml
// at the root says them (layout reads it; MAINTAINING.md lists the keys);
// no folder or type of the project is compiled into the tool, and the
// paths below are this repository's values.
//
// The parts, one folder each: layout reads strata.yaml; touchpoints loads a tree with go/packages and
// go/types and lists what the overlay touches plus the upstream model
// (objects, normalised body hashes, routes, settings); release materialises a
// release (a directory or a git ref) into a temporary copy of the tree and
// reads and writes upstream/UPSTREAM; stockxml renders the start-command
// corpus with a harness built against a release; passes/<class> holds one
// pass per conflict class; report prints findings as text, JSON and SARIF;
// lock reads and writes overlay/strata.lock; refresh 3-way merges drifted
// copies with git merge-file.
//
// # Stamped copies
//
// A function or method in overlay/ or linux2/ copied from upstream carries,
// in its doc comment, one line
//
//	//strata:copy upstream/<pkg>.<Name> h1:<base64 sha256>
//
// (for methods upstream/<pkg>.(*T).Method or upstream/<pkg>.T.Method). The
// fingerprint is touchpoints.Fingerprint of the ORIGINAL upstream
// declaration: the FuncDecl without its doc comment is printed with
// go/printer, re-parsed, every position cleared and printed again, then
// hashed with SHA-256; comments and layout never count. `strata stamp
// SYMBOL` prints the line for the current upstream/.
//
// # The lock
//
// overlay/strata.lock is text, one fact of upstream/ as last reconciled per
// line, sorted:
//
//	<kind> <key> <data, the rest of the line>
//
// Each kind is a lock.Kind that records its lines from a loaded tree and
// restores them into the old side of check; each pass lists the kinds it
// reads in its Pass.Lock, so check runs the passes of diff with the lock as
// the old release. Kinds: type (the type of an upstream object the overlay
// touches, as written), body (its normalised body hash, plus
// "routes:h1:..." when the hash with route registrations read alike
// differs), route (upstream's registration of a path the overlay registers
// or wraps: sync or async and the folder), setting (the type of upstream's
// default for a key the overlay defines or reads; none when upstream has no
// such key), xml (the hash of a corpus case's stock XML, kept in
// overlay/strata.lock.d/xml/<case>). The original source of every stamped
// copy, the base of `strata refresh`, lives in
// overlay/strata.lock.d/<symbol>.go.txt (symbol with "/", "*", "(", ")"
// replaced by "_").
//
// # UPSTREAM
//
// upstream/UPSTREAM is four lines: "name kvmagent", "version 2.3.0",
// "source <where it came from>", "tree h1:<...>". The tree hash is
// golang.org/x/mod/sumdb/dirhash.HashDir(upstream, "upstream",
// dirhash.Hash1) over the folder without the UPSTREAM file itself;
// `strata verify` recomputes it.
package tools
