//! Unit tests of the template engine against Go's `text/template` behaviour.

use super::{Data, Template};

struct Map(Vec<(&'static str, &'static str)>);

impl Data for Map {
    fn get(&self, name: &str) -> Option<&str> {
        self.0.iter().find(|(n, _)| *n == name).map(|(_, v)| *v)
    }

    fn all(&self) -> Vec<(&str, &str)> {
        self.0.clone()
    }
}

fn render(template: &str) -> Result<String, String> {
    let data = Map(vec![("b", "2"), ("a", "1"), ("s", "Hello"), ("e", "")]);
    Template::parse("line", template)?.execute(&data, "the line", 0)
}

#[test]
fn go_semantics() {
    let ok = |t: &str| render(t).unwrap_or_else(|e| panic!("{t}: {e}"));
    assert_eq!(ok("{{.a}}-{{ .b }}-{{.zz}}"), "1-2-");
    assert_eq!(ok("{{ . }}"), "map[a:1 b:2 e: s:Hello]");
    assert_eq!(ok("{{ $ }}"), "map[a:1 b:2 e: s:Hello]");
    assert_eq!(
        ok("{{ and .a .e }}|{{ or .e .b }}|{{ and 1 2 }}|{{ or 0 \"\" }}"),
        "|2|2|"
    );
    assert_eq!(ok("{{ not .e }} {{ not .a }}"), "true false");
    assert_eq!(
        ok("{{ eq .a \"1\" \"3\" }} {{ eq .b \"1\" \"3\" }} {{ ne 1 2 }}"),
        "true false true"
    );
    assert_eq!(ok("{{ if .e }}x{{ else if .a }}y{{ end }}"), "y");
    assert_eq!(ok("{{ $x := .a }}{{ $x = \"9\" }}{{ $x }}"), "9");
    assert_eq!(ok("{{ range $i := 3 }}{{ $i }}{{ end }}"), "012");
    assert_eq!(
        ok("{{ range $k, $v := . }}{{ if eq $k \"b\" }}{{ break }}{{ end }}{{ $k }}{{ end }}"),
        "a"
    );
    assert_eq!(
        ok("{{ range . }}{{ if not . }}{{ continue }}{{ end }}<{{ . }}>{{ end }}"),
        "<1><2><Hello>"
    );
    assert_eq!(ok("{{ print 1 2 \"a\" \"b\" 3 }}"), "1 2ab3");
    assert_eq!(ok("{{ println .a .b }}"), "1 2\n");
    assert_eq!(
        ok("{{ html \"<a href='x'>\" }}"),
        "&lt;a href=&#39;x&#39;&gt;"
    );
    assert_eq!(ok("{{ (printf \"%s-%s\" .a .b) | len }}"), "3");
    assert_eq!(
        ok("{{ 1.5 }} {{ 1e3 }} {{ 0x10 }} {{ 'a' }} {{ -2 }} {{ true }} {{ nil }}"),
        "1.5 1000 16 97 -2 true <no value>"
    );
    assert_eq!(ok("{{ \"a\\tb\" }}{{ `raw\\n` }}"), "a\tbraw\\n");
    assert_eq!(ok("x {{- \" y \" -}} z"), "x y z");
    assert_eq!(ok("{{ __line__ | printf \"%.3s\" }}"), "the");
    assert_eq!(ok("{{ .s | lower | upper | trunc -3 }}"), "LLO");
    assert_eq!(ok("{{ index . \"s\" }}{{ index .s 0 }}"), "Hello72");
    assert_eq!(
        ok("{{ with $y := .s }}{{ $y }}{{ . }}{{ end }}"),
        "HelloHello"
    );
}

#[test]
fn errors_like_go() {
    let err = |t: &str| render(t).unwrap_err();
    assert_eq!(err("{{ .a"), "template: line:1: unclosed action");
    assert_eq!(
        err("{{ foo }}"),
        "template: line:1: function \"foo\" not defined"
    );
    assert_eq!(err("{{ if .a }}"), "template: line:1: unexpected EOF");
    assert_eq!(err("{{ end }}"), "template: line:1: unexpected {{end}}");
    assert_eq!(
        err("a\n{{ $x }}"),
        "template: line:2: undefined variable \"$x\""
    );
    assert_eq!(
        err("{{ break }}"),
        "template: line:1: {{break}} outside {{range}}"
    );
    assert_eq!(
        err("{{ .a | \"x\" }}"),
        "template: line:1: non executable command in pipeline stage 2"
    );
    assert_eq!(
        err("{{ .a.b }}"),
        "template: line:1:3: executing \"line\" at <.a.b>: can't evaluate field b in type string"
    );
    assert_eq!(
        err("{{ upper 1 2 }}"),
        "template: line:1:3: executing \"line\" at <upper>: wrong number of args for upper: want 1 got 2"
    );
    assert_eq!(
        err("{{ eq 1 \"1\" }}"),
        "template: line:1:3: executing \"line\" at <eq>: error calling eq: incompatible types for comparison"
    );
    assert_eq!(
        err("{{ .a 1 }}"),
        "template: line:1:3: executing \"line\" at <.a>: can't give argument to non-function .a"
    );
    assert_eq!(
        err("{{ regexReplaceAll \"(\" .a \"\" }}"),
        "template: line:1:3: executing \"line\" at <regexReplaceAll>: invalid regular expression \"(\": unclosed group"
    );
}

#[test]
fn simple_fields_are_detected() {
    assert_eq!(
        Template::parse("line", "{{.msg}}").unwrap().simple_field(),
        Some("msg")
    );
    assert_eq!(
        Template::parse("line", "{{ .msg }}")
            .unwrap()
            .simple_field(),
        Some("msg")
    );
    assert_eq!(
        Template::parse("line", "{{.msg}}x").unwrap().simple_field(),
        None
    );
    assert_eq!(
        Template::parse("line", "{{.a.b}}").unwrap().simple_field(),
        None
    );
}

#[test]
fn runaway_templates_are_stopped() {
    let err = |t: &str| render(t).unwrap_err();
    assert!(err("{{ range 100000 }}{{ range 100000 }}x{{ end }}{{ end }}").contains("limits"));
    assert!(err("{{ repeat 100000 (repeat 100000 \"x\") }}").contains("too large"));
    assert!(render("{{ € }}").is_err());
}
