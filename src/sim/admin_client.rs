//! A client of the simulator's admin API ([`super::admin`]) for `fogd sim evening-run`, `fogd sim faults …` and
//! the other admin verbs: the same mutual-TLS identity and CA as the SHS client (`[tls]`), the node at `[shs] url`
//! (or a URL given), and `[sim] admin_token` as a bearer token when one is configured. Each call is one method over
//! [`SimAdminClient::get`] / [`SimAdminClient::post`], so a new admin call (e.g. `POST /sim/v1/advance`) is a
//! method and a CLI verb.

use crate::config::Config;
use crate::shs::{ClientSettings, ShsClient};
use serde_json::Value;

/// Why an admin call failed.
#[derive(Debug, thiserror::Error)]
pub enum AdminError {
    /// Bad local set-up (identity, CA, URL).
    #[error("{0}")]
    Setup(String),
    /// The node could not be reached or the exchange broke.
    #[error("cannot reach the simulator at {url}: {message}")]
    Transport {
        /// The URL called.
        url: String,
        /// What happened.
        message: String,
    },
    /// The node refused (4xx): not an admin, bad arguments.
    #[error("the simulator refused {url} (HTTP {status}): {message}")]
    Refused {
        /// The URL called.
        url: String,
        /// The status.
        status: u16,
        /// The node's message.
        message: String,
    },
    /// The node failed (5xx) or answered something unreadable.
    #[error("the simulator failed at {url} (HTTP {status}): {message}")]
    Failed {
        /// The URL called.
        url: String,
        /// The status.
        status: u16,
        /// The node's message.
        message: String,
    },
}

/// The admin API of one simulator.
#[derive(Debug)]
pub struct SimAdminClient {
    http: reqwest::Client,
    base: String,
    token: Option<String>,
}

/// The node's base URL from a configured or given URL: `https://host:port/shs` and `https://host:port` both give
/// `https://host:port`.
pub fn node_base(url: &str) -> String {
    let u = url.trim().trim_end_matches('/');
    u.strip_suffix("/shs").unwrap_or(u).to_string()
}

impl SimAdminClient {
    /// A client for the node at `url` (default `[shs] url`) with the `[tls]` identity.
    pub fn new(config: &Config, url: Option<&str>) -> Result<SimAdminClient, AdminError> {
        let shs = ShsClient::new(ClientSettings::from_config(config))
            .map_err(|e| AdminError::Setup(e.to_string()))?;
        Ok(SimAdminClient {
            http: shs.http().clone(),
            base: node_base(url.unwrap_or(&config.shs.url)),
            token: config.sim.admin_token.clone(),
        })
    }

    /// `GET /sim/v1/{path}`.
    pub async fn get(&self, path: &str) -> Result<Value, AdminError> {
        let url = format!("{}/sim/v1/{path}", self.base);
        self.call(self.http.get(&url), url).await
    }

    /// `POST /sim/v1/{path}` with a JSON body.
    pub async fn post(&self, path: &str, body: &Value) -> Result<Value, AdminError> {
        let url = format!("{}/sim/v1/{path}", self.base);
        self.call(self.http.post(&url).json(body), url).await
    }

    /// `DELETE /sim/v1/{path}`.
    pub async fn delete(&self, path: &str) -> Result<Value, AdminError> {
        let url = format!("{}/sim/v1/{path}", self.base);
        self.call(self.http.delete(&url), url).await
    }

    async fn call(&self, req: reqwest::RequestBuilder, url: String) -> Result<Value, AdminError> {
        let req = match &self.token {
            Some(t) => req.bearer_auth(t),
            None => req,
        };
        let transport = |e: reqwest::Error| AdminError::Transport {
            url: url.clone(),
            message: crate::shs::client::error_text(&e),
        };
        let resp = req.send().await.map_err(transport)?;
        let status = resp.status().as_u16();
        let text = resp.text().await.map_err(transport)?;
        let value: Option<Value> = serde_json::from_str(&text).ok();
        if (200..300).contains(&status) {
            return value.ok_or_else(|| AdminError::Failed {
                url: url.clone(),
                status,
                message: "the answer is not JSON".into(),
            });
        }
        let message = value
            .as_ref()
            .and_then(|v| v.get("error"))
            .and_then(Value::as_str)
            .map(str::to_string)
            .unwrap_or_else(|| text.chars().take(500).collect());
        Err(if status < 500 {
            AdminError::Refused {
                url,
                status,
                message,
            }
        } else {
            AdminError::Failed {
                url,
                status,
                message,
            }
        })
    }

    /// Runs the evening run now (bekräftelser); the answer counts the replies stored.
    pub async fn evening_run(&self) -> Result<Value, AdminError> {
        self.post("evening-run", &Value::Null).await
    }

    /// Moves the sim's calendar `days` forward; the answer counts the messages stored and names the sim's day.
    pub async fn advance(&self, days: u32) -> Result<Value, AdminError> {
        self.post("advance", &serde_json::json!({ "days": days }))
            .await
    }

    /// The fault rules in force.
    pub async fn faults(&self) -> Result<Value, AdminError> {
        self.get("faults").await
    }

    /// Adds the faults of `spec` (replacing all rules first when `replace`).
    pub async fn add_faults(&self, spec: &str, replace: bool) -> Result<Value, AdminError> {
        self.post(
            "faults",
            &serde_json::json!({ "spec": spec, "replace": replace }),
        )
        .await
    }

    /// Clears every fault.
    pub async fn clear_faults(&self) -> Result<Value, AdminError> {
        self.delete("faults").await
    }

    /// Has the next received file rejected whole with `felkod`.
    pub async fn reject_next(&self, felkod: &str) -> Result<Value, AdminError> {
        self.post("reject-next", &serde_json::json!({ "felkod": felkod }))
            .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base_from_shs_url() {
        assert_eq!(
            node_base("https://127.0.0.1:7443/shs"),
            "https://127.0.0.1:7443"
        );
        assert_eq!(
            node_base("https://127.0.0.1:7443/shs/"),
            "https://127.0.0.1:7443"
        );
        assert_eq!(node_base("https://h:1"), "https://h:1");
    }
}
