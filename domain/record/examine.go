package record

// Examined is everything ingest reads of one resource besides its identity.
type Examined struct {
	Version   Version
	Category  Category
	Sensitive bool
	Labels    []string
	Display   Display
	Clinical  Clinical
}

// Examine reads a resource once for what VersionOf, CategoryOf,
// SensitivityRules.Classify and Read each say of it: parsing the JSON is most of
// what reading costs, so ingest parses each resource once, not four times.
func Examine(resourceType string, raw []byte, rules SensitivityRules, flags []string) Examined {
	return withObject(raw, func(res object) Examined { return examine(resourceType, res, rules, flags) })
}

func examine(resourceType string, res object, rules SensitivityRules, flags []string) Examined {
	x := Examined{Version: versionOf(res), Category: categoryOf(resourceType, func() object { return res })}
	x.Sensitive, x.Labels = rules.classify(res)
	x.Display, x.Clinical = read(resourceType, res, flags)
	return x
}
