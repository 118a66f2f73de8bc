//! Table tests of `line_format` / `label_format` (Go templates over real lines) and of
//! `| unwrap` sample extraction; the API's guarantees (an empty pipeline returns the line
//! untouched, pure filters allocate nothing, invalid stages are errors).

use std::borrow::Cow;

use super::tests::{Case, TS, case, kept, run_table};
use crate::{Labels, LineLabels, Pipeline, SampleExtractor, parse};

const LINE: &str = r#"level=info msg="hello world" path=/users/123/orders/45 n=42 d=2.25"#;
const LABELS: &str =
    r#"{app="x", d="2.25", level="info", msg="hello world", n="42", path="/users/123/orders/45"}"#;

const fn formatted(line: &'static str) -> Option<(&'static str, &'static str)> {
    Some((line, LABELS))
}

const CASES: &[Case] = &[
    case(
        r#"| logfmt | line_format "{{.level}}: {{.msg}}""#,
        LINE,
        formatted("info: hello world"),
    ),
    case(
        r#"| line_format "{{ .missing }}|{{__line__}}""#,
        "orig",
        Some(("|orig", r#"{app="x"}"#)),
    ),
    case(
        r#"| logfmt | line_format "{{.msg}}""#,
        LINE,
        formatted("hello world"),
    ),
    case(
        r#"| logfmt | line_format "{{ .level | ToUpper }} {{ .msg | upper | trunc 3 }}""#,
        LINE,
        formatted("INFO HEL"),
    ),
    case(
        r#"| logfmt | line_format `{{ if eq .level "error" }}E{{ else if eq .level "info" }}I{{ else }}?{{ end }}`"#,
        LINE,
        formatted("I"),
    ),
    case(
        r#"| logfmt | line_format `{{ if and (eq .level "info") (gt (len .msg) 20) }}long{{ else }}short{{ end }}`"#,
        LINE,
        formatted("short"),
    ),
    case(
        r#"| logfmt | line_format `{{ if or (ne .level "info") (not .msg) }}a{{ else }}b{{ end }}`"#,
        LINE,
        formatted("b"),
    ),
    case(
        r#"| logfmt | line_format `{{ printf "%-6s|%5.1f|%d|%v" .level (float64 .d) (int .n) .msg }}`"#,
        LINE,
        formatted("info  |  2.2|42|hello world"),
    ),
    case(
        r#"| logfmt | line_format `{{ .missing | default "none" }} {{ .level | default "none" }}`"#,
        LINE,
        formatted("none info"),
    ),
    case(
        r#"| logfmt | line_format `{{ .msg | replace "world" "there" | title }}`"#,
        LINE,
        formatted("Hello There"),
    ),
    case(
        r#"| logfmt | line_format `{{ regexReplaceAll "[0-9]+" .path "N" }} {{ regexReplaceAllLiteral "o(r)" .path "$1" }}`"#,
        LINE,
        formatted("/users/N/orders/N /users/123/$1ders/45"),
    ),
    case(
        r#"| logfmt | line_format `{{ regexReplaceAll "/(\\w+)/\\d+" .path "${1}:" }}`"#,
        LINE,
        formatted("users:orders:"),
    ),
    case(
        r#"| logfmt | line_format "a {{- .level -}} b {{- /* gone */ -}} c""#,
        LINE,
        formatted("ainfobc"),
    ),
    case(
        r#"| logfmt | line_format `{{ with .missing }}x{{ else }}y{{ end }}{{ with .level }}<{{ . }}>{{ end }}`"#,
        LINE,
        formatted("y<info>"),
    ),
    case(
        r#"| line_format `{{ range $k, $v := . }}{{ $k }}={{ $v }};{{ end }}`"#,
        "l",
        Some(("app=x;zone=eu;", r#"{app="x", zone="eu"}"#)),
    )
    .stream(&[("app", "x"), ("zone", "eu")]),
    case(
        r#"| logfmt | line_format `{{ $l := .level }}{{ substr 0 5 .msg }}/{{ $l }}/{{ .msg | hasPrefix "hello" }}/{{ contains "lo w" .msg }}/{{ hasSuffix "x" .msg }}`"#,
        LINE,
        formatted("hello/info/true/true/false"),
    ),
    case(
        r#"| logfmt | line_format `{{ add 1 .n }} {{ sub .n 2 }} {{ mul .n 2 }} {{ div .n 5 }} {{ mod .n 5 }} {{ divf .n 4 }} {{ mulf 0.1 3 }} {{ addf .d 0.1 }}`"#,
        LINE,
        formatted("43 40 84 8 2 10.5 0.3 2.35"),
    ),
    case(
        r#"| logfmt | line_format `{{ max 1 .n 7 }} {{ min 3 .n }} {{ ceil .d }} {{ floor .d }} {{ round .d 1 }} {{ float64 "1e6" }}`"#,
        LINE,
        formatted("42 3 3 2 2.3 1e+06"),
    ),
    case(
        r#"| logfmt | line_format `{{ ToLower "ABC" }}{{ TrimPrefix .path "/users" }}|{{ trimSuffix "/45" .path }}|{{ trim "  x  " }}|{{ Replace .msg "l" "L" 2 }}`"#,
        LINE,
        formatted("abc/123/orders/45|/users/123/orders|x|heLLo world"),
    ),
    case(
        r#"| logfmt | line_format `[{{ alignRight 6 .level }}][{{ alignLeft 6 .level }}][{{ .level | printf "%q" }}][{{ len .msg }}][{{ index . "level" }}]`"#,
        LINE,
        formatted(r#"[  info][info  ]["info"][11][info]"#),
    ),
    case(
        r#"| logfmt | line_format `{{ .msg | b64enc }} {{ "aGk=" | b64dec }} {{ urlencode "a b&c" }} {{ urldecode "a%20b" }} {{ repeat 2 "ab" }}`"#,
        LINE,
        formatted("aGVsbG8gd29ybGQ= hi a+b%26c a b abab"),
    ),
    case(
        r#"| logfmt | line_format `{{ bytes "2KiB" }} {{ duration "1m30s" }} {{ count "o" .msg }} {{ lt 1 2 }} {{ ge "b" "a" }}`"#,
        LINE,
        formatted("2048 90 2 true true"),
    ),
    case(
        r#"| line_format "{{__timestamp__}}""#,
        "l",
        Some(("2020-10-18 18:04:22.147378997 +0000 UTC", r#"{app="x"}"#)),
    ),
    case(
        r#"| line_format `{{ __timestamp__ | date "2006-01-02T15:04:05Z07:00" }} {{ __timestamp__ | unixEpochMillis }} {{ unixEpoch __timestamp__ }} {{ unixToTime "1603044262" | unixEpochNanos }}`"#,
        "l",
        Some((
            "2020-10-18T18:04:22Z 1603044262147 1603044262 1603044262000000000",
            r#"{app="x"}"#,
        )),
    ),
    case(
        r#"| line_format "{{ len \"abc\" | upper }}""#,
        "orig",
        kept(
            r#"{__error__="TemplateFormatErr", __error_details__="template: line:1:15: executing \"line\" at <upper>: wrong type for value; expected string; got int", app="x"}"#,
        ),
    ),
    case(
        r#"| json | line_format "{{.__error__}}: {{__line__}}""#,
        "oops",
        Some((
            "JSONParserErr: oops",
            r#"{__error__="JSONParserErr", __error_details__="Value looks like object, but can't find closing '}' symbol", app="x"}"#,
        )),
    ),
    case(
        r#"| line_format "{{.msg}}" | logfmt"#,
        "l",
        Some(("", r#"{app="x"}"#)),
    ),
    // label_format.
    case(
        "| logfmt | label_format lvl=level | drop d, n, path",
        LINE,
        kept(r#"{app="x", lvl="info", msg="hello world"}"#),
    ),
    case(
        r#"| label_format combined="{{.app}}-{{ __line__ }}", app="{{.app}}-new""#,
        "l1",
        kept(r#"{app="x-new", combined="x-l1"}"#),
    ),
    case(
        r#"| label_format a="{{.app}}1", b="[{{.a}}]""#,
        "l",
        kept(r#"{a="x1", app="x", b="[]"}"#),
    ),
    case(
        r#"| label_format a=app, b="{{.a}}""#,
        "l",
        kept(r#"{a="x", b="x"}"#),
    ),
    case(r#"| label_format a=missing"#, "l", kept(r#"{app="x"}"#)),
    case(
        r#"| logfmt | label_format level="{{ .level | upper }}" | level="INFO" | line_format "{{.level}}""#,
        "level=info",
        Some(("INFO", r#"{app="x", level="INFO"}"#)),
    ),
    case(
        r#"| label_format x="{{ div 1 0 }}""#,
        "l",
        kept(
            r#"{__error__="TemplateFormatErr", __error_details__="template: label:1:3: executing \"label\" at <div>: error calling div: runtime error: integer divide by zero", app="x"}"#,
        ),
    ),
];

#[test]
fn format_table() {
    run_table(CASES);
}

/// (query, line, expected sample, expected labels)
const UNWRAPS: &[(&str, &str, Option<f64>, &str)] = &[
    (
        r#"sum_over_time({app="x"} | logfmt | unwrap latency [1m])"#,
        "latency=12.5 path=/a",
        Some(12.5),
        r#"{app="x", path="/a"}"#,
    ),
    (
        r#"sum_over_time({app="x"} | logfmt | unwrap bytes(size) [1m])"#,
        "size=5MB",
        Some(5e6),
        r#"{app="x"}"#,
    ),
    (
        r#"sum_over_time({app="x"} | logfmt | unwrap bytes(size) [1m])"#,
        r#"size="1.5 KiB""#,
        Some(1536.0),
        r#"{app="x"}"#,
    ),
    (
        r#"avg_over_time({app="x"} | logfmt | unwrap duration(took) [1m])"#,
        "took=1m30.5s",
        Some(90.5),
        r#"{app="x"}"#,
    ),
    (
        r#"avg_over_time({app="x"} | logfmt | unwrap duration_seconds(took) [1m])"#,
        "took=250ms",
        Some(0.25),
        r#"{app="x"}"#,
    ),
    (
        r#"sum_over_time({app="x"} | logfmt | unwrap latency [1m])"#,
        "latency=abc",
        Some(0.0),
        r#"{__error__="SampleExtractionErr", __error_details__="strconv.ParseFloat: parsing \"abc\": invalid syntax", app="x"}"#,
    ),
    (
        r#"sum_over_time({app="x"} | logfmt | unwrap duration(took) [1m])"#,
        "took=5",
        Some(0.0),
        r#"{__error__="SampleExtractionErr", __error_details__="time: missing unit in duration \"5\"", app="x"}"#,
    ),
    (
        r#"sum_over_time({app="x"} | logfmt | unwrap latency | __error__="" [1m])"#,
        "latency=abc",
        None,
        "",
    ),
    (
        r#"sum_over_time({app="x"} | logfmt | unwrap latency | __error__="" [1m])"#,
        "latency=3",
        Some(3.0),
        r#"{app="x"}"#,
    ),
    (
        r#"sum_over_time({app="x"} | logfmt | unwrap latency | path="/b" [1m])"#,
        "latency=3 path=/a",
        None,
        "",
    ),
    (
        r#"sum_over_time({app="x"} | logfmt | unwrap latency [1m])"#,
        "other=1",
        None,
        "",
    ),
    (
        r#"sum_over_time({app="x"} | logfmt --keep-empty | unwrap latency [1m])"#,
        "latency=",
        None,
        "",
    ),
];

#[test]
fn unwrap_table() {
    let stream = Labels::from_pairs([("app", "x")]);
    let metadata = Labels::new();
    let input = LineLabels {
        stream: &stream,
        metadata: &metadata,
    };
    for (query, line, want, want_labels) in UNWRAPS {
        let expr = parse(query).unwrap();
        let range = expr.as_metric().unwrap().log_ranges()[0];
        let pipeline = Pipeline::new(&range.log.pipeline).unwrap();
        let extractor = SampleExtractor::new(range.unwrap.as_ref().unwrap()).unwrap();
        let (_, labels) = pipeline.process(0, line, &input).unwrap();
        let mut labels = labels.into_owned();
        let got = extractor.extract(&mut labels);
        assert_eq!(got, *want, "{query} on {line}");
        if want.is_some() {
            assert_eq!(labels.to_string(), *want_labels, "{query} on {line}");
        }
    }
}

#[test]
fn invalid_pipelines_are_errors() {
    let error = |q: &str| {
        let expr = parse(&format!("{{app=\"x\"}} {q}")).unwrap();
        Pipeline::new(&expr.as_log().unwrap().pipeline)
            .unwrap_err()
            .to_string()
    };
    assert!(error(r#"| json a="\"bare\"""#).contains("cannot parse expression"));
    assert!(error(r#"| json a="x..y""#).contains("cannot parse expression"));
    assert!(error(r#"|> "<a> x""#).contains("named captures are not allowed"));
    assert!(error(r#"|> "<_><_>""#).contains("consecutive capture"));
    assert!(error(r#"| line_format "{{ .a""#).contains("invalid line template"));
    assert!(error(r#"| line_format "{{ nope .a }}""#).contains(r#"function "nope" not defined"#));
    assert!(error(r#"| label_format a="{{ if .b }}""#).contains("unexpected EOF"));
    assert!(error(r#"| label_format __error__="x""#).contains("cannot be formatted"));
}

#[test]
fn empty_pipeline_returns_the_line_unchanged() {
    let pipeline = Pipeline::new(&[]).unwrap();
    assert!(pipeline.is_empty() && pipeline.is_filter_only());
    let stream = Labels::from_pairs([("app", "x")]);
    let metadata = Labels::new();
    let input = LineLabels {
        stream: &stream,
        metadata: &metadata,
    };
    let line = "any line, even {\"json\"} or a=b";
    let (out, labels) = pipeline.process(TS, line, &input).unwrap();
    assert!(matches!(out, Cow::Borrowed(l) if std::ptr::eq(l, line)));
    assert!(matches!(labels, Cow::Borrowed(l) if std::ptr::eq(l, &stream)));
}

#[test]
fn filter_only_pipelines_do_not_allocate_labels() {
    let pipeline = |q: &str| {
        let expr = parse(&format!("{{app=\"x\"}} {q}")).unwrap();
        Pipeline::new(&expr.as_log().unwrap().pipeline).unwrap()
    };
    let filter = pipeline(r#"|= "a" != "b" | app="x""#);
    assert!(filter.is_filter_only());
    assert!(!pipeline("| json").is_filter_only());
    assert!(!pipeline("| drop a").is_filter_only());
    let stream = Labels::from_pairs([("app", "x")]);
    let metadata = Labels::new();
    let input = LineLabels {
        stream: &stream,
        metadata: &metadata,
    };
    let (line, labels) = filter.process(0, "xa", &input).unwrap();
    assert!(matches!(line, Cow::Borrowed(_)) && matches!(labels, Cow::Borrowed(_)));
}
