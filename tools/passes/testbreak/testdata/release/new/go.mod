module example.com/tb

go 1.26
