package main

import "strings"

// argText is s as it goes into a command line syncgap prints for the user
// to copy: in double quotes when it holds a space or a character a shell
// would take (cmd, PowerShell and POSIX shells all read "D:\Audit Team\snap"
// as one argument), as it is otherwise.
func argText(s string) string {
	if s != "" && strings.Trim(s, `abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-./:\+=,@`) == "" {
		return s
	}
	return `"` + s + `"`
}
