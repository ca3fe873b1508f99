//! A small WebDriver client for the console's browser test (tests/console_browser.rs): the calls it makes to
//! chromedriver, and screenshots written as test artefacts.
#![allow(dead_code)]

use base64::Engine as _;
use serde_json::{json, Value};
use std::time::Duration;

const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";

/// A WebDriver session on chromedriver.
pub struct Driver {
    pub http: reqwest::Client,
    pub base: String,
    pub session: String,
}

impl Driver {
    pub async fn call(&self, method: reqwest::Method, path: &str, body: Value) -> Value {
        let url = format!("{}/session/{}{path}", self.base, self.session);
        let mut req = self.http.request(method.clone(), &url);
        if method != reqwest::Method::GET {
            req = req.json(&body);
        }
        let v: Value = req.send().await.unwrap().json().await.unwrap();
        assert!(v["value"].get("error").is_none(), "{path}: {v}");
        v["value"].clone()
    }
    pub async fn go(&self, url: &str) {
        self.call(reqwest::Method::POST, "/url", json!({ "url": url }))
            .await;
    }
    pub async fn find_by(&self, using: &str, value: &str) -> String {
        let v = self
            .call(
                reqwest::Method::POST,
                "/element",
                json!({"using": using, "value": value}),
            )
            .await;
        v[ELEMENT]
            .as_str()
            .unwrap_or_else(|| panic!("find {value}: {v}"))
            .to_string()
    }
    pub async fn find(&self, css: &str) -> String {
        self.find_by("css selector", css).await
    }
    pub async fn text(&self, css: &str) -> String {
        let e = self.find(css).await;
        let v = self
            .call(
                reqwest::Method::GET,
                &format!("/element/{e}/text"),
                Value::Null,
            )
            .await;
        v.as_str().unwrap().to_string()
    }
    pub async fn type_into(&self, css: &str, text: &str) {
        let e = self.find(css).await;
        self.call(
            reqwest::Method::POST,
            &format!("/element/{e}/value"),
            json!({ "text": text }),
        )
        .await;
    }
    pub async fn click_element(&self, e: &str) {
        self.call(
            reqwest::Method::POST,
            &format!("/element/{e}/click"),
            json!({}),
        )
        .await;
    }
    pub async fn click(&self, css: &str) {
        let e = self.find(css).await;
        self.click_element(&e).await;
    }
    /// Clicks `css` (a link or a form's button) and waits until the page it was on is gone.
    pub async fn click_and_wait(&self, css: &str) {
        let page = self.find("html").await;
        self.click(css).await;
        for _ in 0..100 {
            let url = format!("{}/session/{}/element/{page}/name", self.base, self.session);
            let v: Value = self
                .http
                .get(&url)
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            if v["value"].get("error").is_some() {
                return;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("clicking {css} left the page as it was");
    }
    pub async fn script(&self, script: &str) -> Value {
        self.call(
            reqwest::Method::POST,
            "/execute/sync",
            json!({"script": script, "args": []}),
        )
        .await
    }
    pub async fn current_url(&self) -> String {
        self.call(reqwest::Method::GET, "/url", Value::Null)
            .await
            .as_str()
            .unwrap()
            .to_string()
    }
    /// Saves a screenshot of the window as `name.png` (test artefact, and in `FOGD_SCREENSHOT_DIR` when set).
    pub async fn screenshot(&self, name: &str) {
        let v = self
            .call(reqwest::Method::GET, "/screenshot", Value::Null)
            .await;
        let png = base64::engine::general_purpose::STANDARD
            .decode(v.as_str().unwrap())
            .unwrap();
        assert!(png.starts_with(b"\x89PNG"), "{name}: not a PNG");
        let mut dirs =
            vec![std::path::PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("console-screens")];
        if let Some(d) = std::env::var_os("FOGD_SCREENSHOT_DIR") {
            dirs.push(d.into());
        }
        for d in dirs {
            std::fs::create_dir_all(&d).unwrap();
            std::fs::write(d.join(format!("{name}.png")), &png).unwrap();
        }
    }
}
