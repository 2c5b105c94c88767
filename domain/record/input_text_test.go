package record

import "testing"

func TestTextRule(t *testing.T) {
	cases := []struct {
		name string
		raw  string
		want string
	}{
		{"plain ASCII", `{"text":"Asthma"}`, ""},
		{"UTF-8 text", `{"text":"Müller, 血圧 😀"}`, ""},
		{"U+FFFD written as UTF-8 is a character like any other", "{\"text\":\"\xef\xbf\xbd\"}", ""},
		{"a surrogate pair", `{"text":"\ud83d\ude00"}`, ""},
		{"a surrogate pair in capitals", `{"text":"\uD83D\uDE00"}`, ""},
		{"other escapes", `{"text":"a\"b\\c\/d\n\t\u00e9\u0001"}`, ""},
		{"an escaped backslash before u is no escape", `{"text":"C:\\u0000"}`, ""},
		{"an escaped backslash before an escaped NUL", `{"text":"\\\u0000"}`, "nul"},
		{"a NUL escape", `{"text":"a\u0000b"}`, "nul"},
		{"a NUL escape in a key", `{"\u0000":"x"}`, "nul"},
		{"a lone high surrogate at the end of a string", `{"text":"\ud83d"}`, "surrogate"},
		{"a high surrogate followed by a letter", `{"text":"\ud83dx"}`, "surrogate"},
		{"a high surrogate followed by another escape", `{"text":"\ud83d\n"}`, "surrogate"},
		{"a high surrogate followed by a non-surrogate escape", `{"text":"\ud83d\u0041"}`, "surrogate"},
		{"two high surrogates", `{"text":"\ud83d\ud83d"}`, "surrogate"},
		{"a lone low surrogate", `{"text":"\ude00"}`, "surrogate"},
		{"a pair in the wrong order", `{"text":"\ude00\ud83d"}`, "surrogate"},
		{"the byte 0xff", "{\"text\":\"\xff\"}", "utf8"},
		{"a truncated sequence", "{\"text\":\"\xe2\x82\"}", "utf8"},
		{"a continuation byte alone", "{\"text\":\"\x80\"}", "utf8"},
		{"an overlong slash", "{\"text\":\"\xc0\xaf\"}", "utf8"},
		{"an overlong NUL", "{\"text\":\"\xc0\x80\"}", "utf8"},
		{"an overlong three-byte form", "{\"text\":\"\xe0\x80\xaf\"}", "utf8"},
		{"a surrogate encoded as UTF-8", "{\"text\":\"\xed\xa0\xbd\"}", "utf8"},
		{"beyond U+10FFFF", "{\"text\":\"\xf4\x90\x80\x80\"}", "utf8"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := textRule([]byte(tc.raw)); got != tc.want {
				t.Fatalf("textRule(%q) = %q, want %q", tc.raw, got, tc.want)
			}
		})
	}
}

func TestTextRuleDoesNotAllocate(t *testing.T) {
	raw := []byte(`{"resourceType":"Observation","valueString":"Müller \ud83d\ude00 \"quoted\" C:\\temp"}`)
	if n := testing.AllocsPerRun(100, func() { textRule(raw) }); n != 0 {
		t.Fatalf("%v allocations per call, want 0", n)
	}
}
