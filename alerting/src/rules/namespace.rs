//! Rule groups managed over HTTP: one rule file per namespace, in which groups are created,
//! replaced and deleted one at a time (the shape of the Cortex / Mimir ruler configuration
//! API). Every change is validated as a whole file before it is written.

use serde_yaml_ng::{Mapping, Value};

use super::{RuleFileError, parse_rule_file};

/// Whether `name` is a usable namespace (a file name): letters, digits, `_`, `-`, `.`, not
/// starting with a dot.
pub fn valid_namespace(name: &str) -> bool {
    !name.is_empty()
        && !name.starts_with('.')
        && name.len() <= 200
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))
}

fn groups_of(text: Option<&str>, file: &str) -> Result<Vec<Value>, RuleFileError> {
    let error = |message: String| RuleFileError {
        file: file.to_string(),
        message,
    };
    let Some(text) = text.filter(|t| !t.trim().is_empty()) else {
        return Ok(Vec::new());
    };
    let root: Value = serde_yaml_ng::from_str(text).map_err(|e| error(e.to_string()))?;
    match root.get("groups") {
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(Value::Sequence(groups)) => Ok(groups.clone()),
        Some(_) => Err(error("groups must be a list".into())),
    }
}

fn render(groups: Vec<Value>, file: &str) -> Result<String, RuleFileError> {
    let mut root = Mapping::new();
    root.insert(Value::from("groups"), Value::Sequence(groups));
    let text = serde_yaml_ng::to_string(&Value::Mapping(root)).map_err(|e| RuleFileError {
        file: file.to_string(),
        message: e.to_string(),
    })?;
    parse_rule_file(file, &text)?;
    Ok(text)
}

/// The namespace file after creating or replacing (by name) the group in `group_yaml` (one
/// group: `name:`, `rules:`, ...); `existing` is the file's current text, `file` its path (for
/// messages). The result is validated as a whole.
pub fn upsert_group(
    existing: Option<&str>,
    group_yaml: &str,
    file: &str,
) -> Result<String, RuleFileError> {
    let error = |message: String| RuleFileError {
        file: file.to_string(),
        message,
    };
    let group: Value =
        serde_yaml_ng::from_str(group_yaml).map_err(|e| error(format!("rule group: {e}")))?;
    let name = group
        .get("name")
        .and_then(Value::as_str)
        .filter(|n| !n.trim().is_empty())
        .ok_or_else(|| error("rule group: name must not be empty".into()))?
        .to_string();
    let mut groups = groups_of(existing, file)?;
    match groups
        .iter_mut()
        .find(|g| g.get("name").and_then(Value::as_str) == Some(&name))
    {
        Some(slot) => *slot = group,
        None => groups.push(group),
    }
    render(groups, file)
}

/// The namespace file without group `name` (`Ok(None)`: no group left), or `Err(None)` when
/// there is no such group.
pub fn delete_group(
    existing: Option<&str>,
    name: &str,
    file: &str,
) -> Result<Option<String>, Option<RuleFileError>> {
    let mut groups = groups_of(existing, file).map_err(Some)?;
    let before = groups.len();
    groups.retain(|g| g.get("name").and_then(Value::as_str) != Some(name));
    if groups.len() == before {
        return Err(None);
    }
    if groups.is_empty() {
        return Ok(None);
    }
    render(groups, file).map(Some).map_err(Some)
}

#[cfg(test)]
mod tests {
    use super::*;

    const GROUP: &str = "name: g1\nrules:\n  - alert: A\n    expr: up == 0\n";

    #[test]
    fn groups_are_added_replaced_and_deleted() {
        let file = "data/rules/shop.yaml";
        let one = upsert_group(None, GROUP, file).unwrap();
        let two = upsert_group(
            Some(&one),
            "name: g2\nrules:\n  - alert: B\n    expr: up == 1\n",
            file,
        )
        .unwrap();
        let replaced = upsert_group(
            Some(&two),
            "name: g1\nrules:\n  - alert: C\n    expr: up == 2\n",
            file,
        )
        .unwrap();
        let groups = parse_rule_file(file, &replaced).unwrap();
        let names: Vec<(&str, &str)> = groups
            .iter()
            .map(|g| (g.name.as_str(), g.rules[0].name.as_str()))
            .collect();
        assert_eq!(names, [("g1", "C"), ("g2", "B")]);

        let left = delete_group(Some(&replaced), "g1", file).unwrap().unwrap();
        assert_eq!(parse_rule_file(file, &left).unwrap()[0].name, "g2");
        assert_eq!(delete_group(Some(&left), "g2", file).unwrap(), None);
        assert_eq!(delete_group(Some(&left), "nope", file), Err(None));
    }

    #[test]
    fn invalid_groups_are_refused_with_the_reason() {
        let error =
            upsert_group(None, "name: g\nrules:\n  - alert: A\n    expr: sum(\n", "f").unwrap_err();
        assert!(
            error.message.contains("could not parse expression"),
            "{error}"
        );
        let error = upsert_group(None, "rules: []\n", "f").unwrap_err();
        assert!(error.message.contains("name must not be empty"), "{error}");
        assert!(valid_namespace("shop-1.prod"));
        assert!(!valid_namespace("../etc") && !valid_namespace(".hidden") && !valid_namespace(""));
    }
}
