package uow

// SetCopyThreshold lowers the number of new rows of one type from which
// Flush uses COPY, so tests exercise it with few rows; it returns a
// function restoring the default. Tests using it must not run in parallel.
func SetCopyThreshold(n int) (restore func()) {
	old := copyThreshold
	copyThreshold = n
	return func() { copyThreshold = old }
}
