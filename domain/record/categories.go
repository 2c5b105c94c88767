package record

// KnownCategory reports whether c is one of Categories.
func KnownCategory(c Category) bool {
	for _, k := range Categories {
		if k == c {
			return true
		}
	}
	return false
}
