//! Table tests of the pipeline: each case is a pipeline (parsed as `{app="x"} <pipeline>`), a
//! line with its stream labels and structured metadata, and the expected line and labels (or
//! `None` when the line is filtered out). This file covers line filters, parsers, label filters
//! and drop/keep; `tests_format.rs` covers formatting, `| unwrap` and the API's guarantees.

use crate::{Labels, LineLabels, Pipeline, parse};

/// 2020-10-18T18:04:22.147378997Z.
pub(super) const TS: i64 = 1_603_044_262_147_378_997;

pub(super) type Pairs = &'static [(&'static str, &'static str)];

/// One table case.
pub(super) struct Case {
    pub(super) pipeline: &'static str,
    pub(super) line: &'static str,
    pub(super) stream: Pairs,
    pub(super) metadata: Pairs,
    /// The output line and labels (as printed by `Labels`), `None` when filtered out.
    pub(super) want: Option<(&'static str, &'static str)>,
}

const APP: Pairs = &[("app", "x")];

/// A case over the stream `{app="x"}` without metadata.
pub(super) const fn case(
    pipeline: &'static str,
    line: &'static str,
    want: Option<(&'static str, &'static str)>,
) -> Case {
    Case {
        pipeline,
        line,
        stream: APP,
        metadata: &[],
        want,
    }
}

impl Case {
    pub(super) const fn stream(mut self, stream: Pairs) -> Self {
        self.stream = stream;
        self
    }

    pub(super) const fn metadata(mut self, metadata: Pairs) -> Self {
        self.metadata = metadata;
        self
    }
}

/// Stands for "the input line" in expectations.
const SAME: &str = "\u{0}same";

/// The line is kept unchanged, with these labels.
pub(super) const fn kept(labels: &'static str) -> Option<(&'static str, &'static str)> {
    Some((SAME, labels))
}

/// Runs every case and reports all failures at once.
pub(super) fn run_table(cases: &[Case]) {
    let mut failures = Vec::new();
    for (i, case) in cases.iter().enumerate() {
        let query = format!("{{app=\"x\"}} {}", case.pipeline);
        let expr = match parse(&query) {
            Ok(expr) => expr,
            Err(e) => {
                failures.push(format!("#{i} {}: parse error: {e}", case.pipeline));
                continue;
            }
        };
        let pipeline = match Pipeline::new(&expr.as_log().expect("log query").pipeline) {
            Ok(p) => p,
            Err(e) => {
                failures.push(format!("#{i} {}: pipeline error: {e}", case.pipeline));
                continue;
            }
        };
        let stream = Labels::from_pairs(case.stream.iter().copied());
        let metadata = Labels::from_pairs(case.metadata.iter().copied());
        let input = LineLabels {
            stream: &stream,
            metadata: &metadata,
        };
        let got = pipeline
            .process(TS, case.line, &input)
            .map(|(line, labels)| (line.into_owned(), labels.to_string()));
        let want = case.want.map(|(line, labels)| {
            let line = if line == SAME { case.line } else { line };
            (line.to_string(), labels.to_string())
        });
        if got != want {
            failures.push(format!(
                "#{i} {} on {:?}:\n   got {got:?}\n  want {want:?}",
                case.pipeline, case.line
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} cases failed:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
}

const JSON_LINE: &str =
    r#"{"level":"info","nested":{"a":1,"b":{"c":true}},"arr":[1,2],"n":null,"msg":"hi \"there\""}"#;
const LOGFMT_LINE: &str = r#"level=info msg="hello world" duration=1.5s empty= standalone"#;
const ACCESS_LINE: &str =
    r#"127.0.0.1 - - [10/Oct/2000:13:55:36] "GET /index.html HTTP/1.0" 200 2326"#;

const CASES: &[Case] = &[
    // Line filters.
    case(r#"|= "error""#, "an error occurred", kept(r#"{app="x"}"#)),
    case(r#"|= "error""#, "all good", None),
    case(r#"!= "debug""#, "debug stuff", None),
    case(
        r#"|~ `error\s+\d+`"#,
        "got error 42 here",
        kept(r#"{app="x"}"#),
    ),
    case(r#"!~ "(?i)DEBUG""#, "a debug line", None),
    case(r#"|~ `^\w+$`"#, "héllo", None),
    case(r#"|= "a" or "b""#, "xbx", kept(r#"{app="x"}"#)),
    case(r#"!= "a" or "b""#, "b", None),
    case(r#"!= "a" or "b""#, "c", kept(r#"{app="x"}"#)),
    case(r#"|= "err" |= "42""#, "err 41", None),
    case(
        r#"|> "<_> GET <_>""#,
        "1.2.3.4 GET /x",
        kept(r#"{app="x"}"#),
    ),
    case(r#"|> "<_> GET <_>""#, "GET /x", None),
    case(
        r#"!> "<_> GET <_>""#,
        "1.2.3.4 POST /x",
        kept(r#"{app="x"}"#),
    ),
    case(
        r#"|= ip("10.0.0.0/8")"#,
        "client=10.1.2.3 ok",
        kept(r#"{app="x"}"#),
    ),
    case(r#"|= ip("10.0.0.0/8")"#, "client=11.1.2.3 ok", None),
    case(r#"!= ip("192.168.1.1")"#, "from 192.168.1.1", None),
    case(
        r#"|= ip("10.0.0.1-10.0.0.9")"#,
        "a 10.0.0.7 b",
        kept(r#"{app="x"}"#),
    ),
    case(
        r#"|= ip("2001:db8::/32")"#,
        "addr=2001:db8::1 x",
        kept(r#"{app="x"}"#),
    ),
    // json.
    case(
        "| json",
        JSON_LINE,
        kept(r#"{app="x", level="info", msg="hi \"there\"", nested_a="1", nested_b_c="true"}"#),
    ),
    case(
        "| json",
        r#"{"user-agent":"curl"," 1st ":"x","a.b":"y","é":"z"}"#,
        kept(r#"{_="z", _1st="x", a_b="y", app="x", user_agent="curl"}"#),
    ),
    case(
        "| json",
        r#"{"level":"error","app":"y"}"#,
        kept(r#"{app="x", app_extracted="y", level="s", level_extracted="error"}"#),
    )
    .stream(&[("app", "x"), ("level", "s")]),
    case(
        "| json",
        "not json",
        kept(
            r#"{__error__="JSONParserErr", __error_details__="Value looks like object, but can't find closing '}' symbol", app="x"}"#,
        ),
    ),
    case(
        "| json",
        r#"{"a":"1", "b":}"#,
        kept(
            r#"{__error__="JSONParserErr", __error_details__="Unknown value type", a="1", app="x"}"#,
        ),
    ),
    case(
        r#"| json lvl="level", first="arr[0]", deep="nested.b.c", missing="nope", obj="nested""#,
        JSON_LINE,
        kept(
            r#"{app="x", deep="true", first="1", lvl="info", missing="", obj="{\"a\":1,\"b\":{\"c\":true}}"}"#,
        ),
    ),
    case(
        r#"| json v="[\"key with space\"]", level"#,
        r#"{"key with space":"v1","level":"warn"}"#,
        kept(r#"{app="x", level="warn", v="v1"}"#),
    ),
    case(
        r#"| json a="x""#,
        "plain text",
        kept(r#"{__error__="JSONParserErr", app="x"}"#),
    ),
    case(
        "| json",
        r#"{"trace_id":"parsed","other":"o"}"#,
        kept(r#"{app="x", other="o", span_id="s", trace_id="meta", trace_id_extracted="parsed"}"#),
    )
    .metadata(&[("trace_id", "meta"), ("span_id", "s")]),
    case("| json | __error__=\"\"", "not json", None),
    case(
        r#"| json | __error__="JSONParserErr" | drop __error_details__"#,
        "not json",
        kept(r#"{__error__="JSONParserErr", app="x"}"#),
    ),
    // unpack.
    case(
        "| unpack",
        r#"{"_entry":"the line","pod":"p1","level":"info","n":1}"#,
        Some((
            "the line",
            r#"{app="x", level="warn", level_extracted="info", pod="p1"}"#,
        )),
    )
    .stream(&[("app", "x"), ("level", "warn")]),
    case("| unpack", r#"{"a":"b"}"#, kept(r#"{app="x"}"#)),
    case(
        "| unpack",
        "nope",
        kept(
            r#"{__error__="JSONParserErr", __error_details__="expecting json object(6), but it is not", app="x"}"#,
        ),
    ),
    // logfmt.
    case(
        "| logfmt",
        LOGFMT_LINE,
        kept(r#"{app="x", duration="1.5s", level="info", msg="hello world"}"#),
    ),
    case(
        "| logfmt --keep-empty",
        LOGFMT_LINE,
        kept(
            r#"{app="x", duration="1.5s", empty="", level="info", msg="hello world", standalone=""}"#,
        ),
    ),
    case(
        "| logfmt --strict",
        r#"a=1 b"c=2 d=3"#,
        kept(
            r#"{__error__="LogfmtParserErr", __error_details__="logfmt syntax error at pos 6 : unexpected '\"'", a="1", app="x"}"#,
        ),
    ),
    case(
        "| logfmt",
        r#"a=1 b"c=2 d=3"#,
        kept(r#"{a="1", app="x", d="3"}"#),
    ),
    case(
        r#"| logfmt lvl="level", msg"#,
        LOGFMT_LINE,
        kept(r#"{app="x", lvl="info", msg="hello world"}"#),
    ),
    case(
        "| logfmt",
        "app=other x=1",
        kept(r#"{app="x", app_extracted="other", x="1"}"#),
    ),
    case("| logfmt nope", "a=1", kept(r#"{app="x", nope=""}"#)),
    case(
        "| logfmt trace_id, nope",
        "trace_id=p",
        kept(r#"{app="x", nope="", trace_id="m", trace_id_extracted="p"}"#),
    )
    .metadata(&[("trace_id", "m")]),
    case(
        r#"| label_format trace_id="{{.trace_id}}-new""#,
        "l",
        kept(r#"{app="x", trace_id="m-new"}"#),
    )
    .metadata(&[("trace_id", "m")]),
    // The first value extracted under a name wins (except with explicit expressions).
    case("| logfmt", "a=1 a=2", kept(r#"{a="1", app="x"}"#)),
    case("| logfmt a", "a=1 a=2", kept(r#"{a="2", app="x"}"#)),
    case(
        "| json",
        r#"{"a":"1","a":"2"}"#,
        kept(r#"{a="1", app="x"}"#),
    ),
    case(
        r#"| json | line_format "{{.log}}" | logfmt"#,
        r#"{"level":"info","log":"level=warn x=1"}"#,
        Some((
            "level=warn x=1",
            r#"{app="x", level="info", log="level=warn x=1", x="1"}"#,
        )),
    ),
    case(
        r#"| label_format x="a" | logfmt"#,
        "x=b y=c",
        kept(r#"{app="x", x="a", y="c"}"#),
    ),
    case(
        "| unpack",
        r#"{"_entry":"l","k":"1","k":"2"}"#,
        Some(("l", r#"{app="x", k="2"}"#)),
    ),
    case(
        r#"| regexp `(?P<a>\d)` | regexp `(?P<a>[a-z])`"#,
        "x1",
        kept(r#"{a="1", app="x"}"#),
    ),
    // regexp and pattern.
    case(
        r#"| regexp `(?P<method>\w+) (?P<path>/\S*)( (?P<code>\d+))?`"#,
        "GET /api",
        kept(r#"{app="x", code="", method="GET", path="/api"}"#),
    ),
    case(
        r#"| regexp `(?P<n>\d+)`"#,
        "no digits",
        kept(r#"{app="x"}"#),
    ),
    case(
        r#"| pattern "<ip> - - <_> \"<method> <uri> <_>\" <status> <size>""#,
        ACCESS_LINE,
        kept(
            r#"{app="x", ip="127.0.0.1", method="GET", size="2326", status="200", uri="/index.html"}"#,
        ),
    ),
    case(
        r#"| pattern "<a> x <b>""#,
        "1 y 2",
        kept(r#"{a="1 y 2", app="x"}"#),
    ),
    case(
        r#"| pattern "<app>:<rest>""#,
        "web:hello",
        kept(r#"{app="x", app_extracted="web", rest="hello"}"#),
    ),
    // Label filters.
    case(
        r#"| logfmt | level="error""#,
        "level=error",
        kept(r#"{app="x", level="error"}"#),
    ),
    case(r#"| logfmt | level!="error""#, "level=error", None),
    case(
        r#"| logfmt | level=~"err.*""#,
        "level=error",
        kept(r#"{app="x", level="error"}"#),
    ),
    case(r#"| logfmt | level=~"rr""#, "level=error", None),
    case(
        r#"| logfmt | level!~"info|debug""#,
        "level=warn",
        kept(r#"{app="x", level="warn"}"#),
    ),
    case(r#"| missing="""#, "line", kept(r#"{app="x"}"#)),
    case(r#"| app="x""#, "line", kept(r#"{app="x"}"#)),
    case(
        r#"| logfmt | status >= 500"#,
        "status=503",
        kept(r#"{app="x", status="503"}"#),
    ),
    case(r#"| logfmt | status >= 500"#, "status=200", None),
    case(
        r#"| logfmt | status == 200"#,
        "status=200.0",
        kept(r#"{app="x", status="200.0"}"#),
    ),
    case(
        r#"| logfmt | status > 5"#,
        "status=abc",
        kept(
            r#"{__error__="LabelFilterErr", __error_details__="strconv.ParseFloat: parsing \"abc\": invalid syntax", app="x", status="abc"}"#,
        ),
    ),
    case(r#"| logfmt | status > 5"#, "other=1", None),
    case(
        r#"| logfmt | status > 5 | __error__ != """#,
        "status=7",
        None,
    ),
    case(
        r#"| logfmt | took > 1s"#,
        "took=1.5s",
        kept(r#"{app="x", took="1.5s"}"#),
    ),
    case(r#"| logfmt | took > 1s"#, "took=500ms", None),
    case(
        r#"| logfmt | took > 1s"#,
        "took=2d",
        kept(
            r#"{__error__="LabelFilterErr", __error_details__="time: unknown unit \"d\" in duration \"2d\"", app="x", took="2d"}"#,
        ),
    ),
    case(
        r#"| logfmt | size >= 5MB"#,
        "size=6MB",
        kept(r#"{app="x", size="6MB"}"#),
    ),
    case(r#"| logfmt | size >= 5MB"#, "size=1KiB", None),
    case(
        r#"| logfmt | addr = ip("10.0.0.0/8")"#,
        "addr=10.2.3.4",
        kept(r#"{addr="10.2.3.4", app="x"}"#),
    ),
    case(
        r#"| logfmt | addr != ip("10.0.0.0/8")"#,
        "addr=10.2.3.4",
        None,
    ),
    case(
        r#"| logfmt | level="error" or status >= 500"#,
        "level=info status=503",
        kept(r#"{app="x", level="info", status="503"}"#),
    ),
    case(
        r#"| logfmt | level="error", status >= 500"#,
        "level=error status=200",
        None,
    ),
    case(
        r#"| logfmt | (level="error" or level="warn") and status < 300"#,
        "level=warn status=204",
        kept(r#"{app="x", level="warn", status="204"}"#),
    ),
    case(
        r#"| trace_id="abc""#,
        "line",
        kept(r#"{app="x", service_name="api", trace_id="abc"}"#),
    )
    .metadata(&[("trace_id", "abc"), ("service.name", "api")]),
    // drop and keep.
    case(
        "| logfmt | drop level, msg",
        LOGFMT_LINE,
        kept(r#"{app="x", duration="1.5s"}"#),
    ),
    case(
        r#"| logfmt | drop level="debug""#,
        "level=debug x=1",
        kept(r#"{app="x", x="1"}"#),
    ),
    case(
        r#"| logfmt | drop level="debug""#,
        "level=info x=1",
        kept(r#"{app="x", level="info", x="1"}"#),
    ),
    case("| drop app", "line", kept("{}")),
    case(
        "| json | drop __error__, __error_details__",
        "not json",
        kept(r#"{app="x"}"#),
    ),
    case(
        "| logfmt | keep level",
        LOGFMT_LINE,
        kept(r#"{level="info"}"#),
    ),
    case(
        r#"| logfmt | keep level="debug", app"#,
        LOGFMT_LINE,
        kept(r#"{app="x"}"#),
    ),
    case(
        "| json | keep nothing",
        "not json",
        kept(
            r#"{__error__="JSONParserErr", __error_details__="Value looks like object, but can't find closing '}' symbol"}"#,
        ),
    ),
    case(
        "| decolorize",
        "\u{1b}[31mred\u{1b}[0m text",
        Some(("red text", r#"{app="x"}"#)),
    ),
    case(
        "",
        "untouched",
        kept(r#"{app="x", app_extracted="m", service_name="api"}"#),
    )
    .metadata(&[("app", "m"), ("service.name", "api")]),
];

#[test]
fn pipeline_table() {
    run_table(CASES);
}
