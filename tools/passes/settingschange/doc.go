// Package settingschange reports settings-change (error): upstream now
// defines a settings key the overlay defines itself, or removed or re-typed
// (the type of its default) a key the overlay reads.
package settingschange
