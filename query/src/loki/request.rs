//! A Loki request's parameters: the query string, plus a form-encoded body for `POST` (Loki
//! takes both). Parameters may repeat (`match[]`).

use axum::body::Bytes;
use http::HeaderMap;
use http::header::CONTENT_TYPE;

use crate::error::ApiError;

/// The parameters of a request, in order.
#[derive(Debug, Clone, Default)]
pub struct LokiParams(Vec<(String, String)>);

impl LokiParams {
    /// Reads the query string and, for a form body, the body.
    pub fn new(query: Option<&str>, headers: &HeaderMap, body: &Bytes) -> Result<Self, ApiError> {
        let mut pairs: Vec<(String, String)> = query
            .map(|q| form_urlencoded::parse(q.as_bytes()).into_owned().collect())
            .unwrap_or_default();
        let is_form = headers
            .get(CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
        if !body.is_empty() {
            if !is_form {
                return Err(ApiError::BadRequest(
                    "a request body must be application/x-www-form-urlencoded".into(),
                ));
            }
            pairs.extend(form_urlencoded::parse(body).into_owned());
        }
        Ok(Self(pairs))
    }

    /// The last value of `name` that is not blank.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .rev()
            .find(|(n, v)| n == name && !v.trim().is_empty())
            .map(|(_, v)| v.as_str())
    }

    /// Every non-blank value of `name`.
    pub fn all(&self, name: &str) -> Vec<&str> {
        self.0
            .iter()
            .filter(|(n, v)| n == name && !v.trim().is_empty())
            .map(|(_, v)| v.as_str())
            .collect()
    }

    /// `name` as a positive integer, or `default`.
    pub fn usize(&self, name: &str, default: usize) -> Result<usize, ApiError> {
        match self.get(name) {
            None => Ok(default),
            Some(text) => text
                .trim()
                .parse::<usize>()
                .ok()
                .filter(|n| *n > 0)
                .ok_or_else(|| {
                    ApiError::BadRequest(format!(
                        "invalid {name} {text:?}: expected a positive integer"
                    ))
                }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_string_and_form_body() {
        let mut headers = HeaderMap::new();
        headers.insert(
            CONTENT_TYPE,
            "application/x-www-form-urlencoded".parse().unwrap(),
        );
        let body = Bytes::from_static(b"query=%7Ba%3D%22b%22%7D&match%5B%5D=x");
        let params = LokiParams::new(Some("limit=5&match[]=y&step="), &headers, &body).unwrap();
        assert_eq!(params.get("query"), Some(r#"{a="b"}"#));
        assert_eq!(params.usize("limit", 100).unwrap(), 5);
        assert_eq!(params.all("match[]"), vec!["y", "x"]);
        assert_eq!(params.get("step"), None);
        assert!(params.usize("limit", 1).is_ok());
        let bad = LokiParams::new(Some("limit=-1"), &HeaderMap::new(), &Bytes::new()).unwrap();
        assert!(bad.usize("limit", 100).is_err());
    }
}
