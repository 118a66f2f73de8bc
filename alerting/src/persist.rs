//! Alert states saved across restarts: per rule (file, group, name and expression) its alert
//! instances, so that a restart neither repeats a notification nor restarts `for`.

use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::manager::Manager;
use crate::state::{Alert, RuleState};

/// The version of the saved-state file.
pub const STATE_VERSION: u32 = 1;

/// Writes `contents` to `path` atomically: a temporary file beside it, renamed over it.
pub fn write_atomically(path: &Path, contents: &[u8]) -> std::io::Result<()> {
    let mut temporary = path.as_os_str().to_owned();
    temporary.push(".tmp");
    std::fs::write(&temporary, contents)?;
    std::fs::rename(&temporary, path)
}

/// Writes `value` as JSON to `path` atomically.
pub fn save_json(path: &Path, value: &impl Serialize) -> std::io::Result<()> {
    write_atomically(
        path,
        &serde_json::to_vec(value).map_err(std::io::Error::other)?,
    )
}

/// One rule's saved alerts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SavedRule {
    /// The rule file.
    pub file: String,
    /// The group name.
    pub group: String,
    /// The alert name.
    pub name: String,
    /// The expression (a changed expression starts over).
    pub expr: String,
    /// Its alert instances.
    pub alerts: Vec<Alert>,
}

/// Every rule's saved alerts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SavedStates {
    /// [`STATE_VERSION`].
    pub version: u32,
    /// Per rule.
    pub rules: Vec<SavedRule>,
}

impl SavedStates {
    /// Writes the states to `path` atomically.
    pub fn save(&self, path: &Path) -> std::io::Result<()> {
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)?;
        }
        save_json(path, self)
    }

    /// Reads states saved by [`SavedStates::save`]; none when the file does not exist.
    pub fn load(path: &Path) -> std::io::Result<Option<Self>> {
        let bytes = match std::fs::read(path) {
            Ok(bytes) => bytes,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(e),
        };
        let saved: SavedStates = serde_json::from_slice(&bytes).map_err(std::io::Error::other)?;
        if saved.version != STATE_VERSION {
            return Err(std::io::Error::other(format!(
                "{}: alert state version {} is not supported (this build reads {STATE_VERSION})",
                path.display(),
                saved.version
            )));
        }
        Ok(Some(saved))
    }
}

impl Manager {
    /// The alert states of every rule, to save.
    pub fn saved_states(&self) -> SavedStates {
        let mut rules = Vec::new();
        for group in self.groups() {
            for (rule, state) in group.group.rules.iter().zip(&group.states) {
                rules.push(SavedRule {
                    file: group.group.file.clone(),
                    group: group.group.name.clone(),
                    name: rule.name.clone(),
                    expr: rule.expr.clone(),
                    alerts: state.alerts().cloned().collect(),
                });
            }
        }
        SavedStates {
            version: STATE_VERSION,
            rules,
        }
    }

    /// Restores the saved alerts of rules that are still loaded unchanged.
    pub fn restore_states(&mut self, saved: &SavedStates) {
        for group in self.groups_mut() {
            let (file, name) = (group.group.file.clone(), group.group.name.clone());
            for (rule, state) in group.group.rules.iter().zip(group.states.iter_mut()) {
                let found = saved.rules.iter().find(|r| {
                    r.file == file && r.group == name && r.name == rule.name && r.expr == rule.expr
                });
                if let Some(found) = found {
                    *state = RuleState::restore(found.alerts.iter().cloned());
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::rules::parse_rule_file;
    use crate::state::AlertState;

    const RULES: &str = "groups:\n  - name: g\n    rules:\n      - alert: A\n        expr: up == 0\n        for: 5m\n      - alert: B\n        expr: up == 1\n";

    #[test]
    fn states_survive_a_save_and_a_restore() {
        let groups = parse_rule_file("r.yaml", RULES).unwrap();
        let mut before = Manager::new(groups.clone(), Duration::from_secs(15), &Manager::default());
        before.groups_mut()[0].states[0] = RuleState::restore(vec![Alert {
            labels: vec![("alertname".into(), "A".into())],
            annotations: vec![],
            state: AlertState::Pending,
            value: 0.0,
            active_at: 1_000,
            fired_at: 0,
            resolved_at: 0,
            last_sent_at: 0,
            keep_firing_since: 0,
        }]);
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("alerting/state.json");
        assert_eq!(SavedStates::load(&path).unwrap(), None);
        before.saved_states().save(&path).unwrap();

        let saved = SavedStates::load(&path).unwrap().unwrap();
        let mut after = Manager::new(groups, Duration::from_secs(15), &Manager::default());
        after.restore_states(&saved);
        assert_eq!(after.groups()[0].states, before.groups()[0].states);

        // A changed expression does not take the old alerts.
        let changed = parse_rule_file("r.yaml", &RULES.replace("up == 0", "up == 2")).unwrap();
        let mut changed = Manager::new(changed, Duration::from_secs(15), &Manager::default());
        changed.restore_states(&saved);
        assert_eq!(changed.groups()[0].states[0].alerts().count(), 0);

        std::fs::write(&path, br#"{"version": 9, "rules": []}"#).unwrap();
        let error = SavedStates::load(&path).unwrap_err().to_string();
        assert!(error.contains("version 9"), "{error}");
    }
}
