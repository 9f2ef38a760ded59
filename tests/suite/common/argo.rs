//! One Argo step as Argo and Kubernetes run it, for the manifests in argo/
//! and the Helm chart's renderings of them: YAML read as JSON, a template's
//! parameters resolved, Argo's `{{...}}` substituted, and a container's
//! environment built as the kubelet builds it (ConfigMap, Secrets,
//! `$(VAR)` references).

use std::collections::BTreeMap;
use std::process::Command;

use serde_json::Value;

use super::repo;

/// Load a YAML file of the repository as JSON (PyYAML comes with the
/// manifest checker's deps).
pub fn yaml(path: &str) -> Value {
    let out = Command::new("python3")
        .args([
            "-c",
            "import json, sys, yaml; json.dump(yaml.safe_load(open(sys.argv[1])), sys.stdout)",
        ])
        .arg(repo().join(path))
        .output()
        .expect("python3 runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

/// Argo's `{{...}}` substitution for the variables these templates use,
/// including `{{=a == 'B' ? x : y}}` expressions whose operands are
/// variables (`inputs.parameters.x` or `inputs.parameters['x-y']`) or
/// literals (`'text'`, `1`).
pub fn substitute(s: &str, vars: &BTreeMap<String, String>) -> String {
    let operand = |x: &str| -> String {
        let x = x.trim();
        if let Some(lit) = x.strip_prefix('\'').and_then(|x| x.strip_suffix('\'')) {
            return lit.to_string();
        }
        if !x.contains('.') {
            return x.to_string(); // a number
        }
        let key = x.replace("['", ".").replace("']", "");
        vars.get(&key)
            .cloned()
            .unwrap_or_else(|| panic!("no variable {key}"))
    };
    let mut out = s.to_string();
    while let Some(start) = out.find("{{=") {
        let end = out[start..].find("}}").unwrap() + start;
        let expr = out[start + 3..end].to_string();
        let (cond, rest) = expr.split_once(" ? ").unwrap();
        let (yes, no) = rest.split_once(" : ").unwrap();
        let (var, want) = cond.split_once(" == ").unwrap();
        let v = if operand(var) == operand(want) {
            operand(yes)
        } else {
            operand(no)
        };
        out.replace_range(start..end + 2, &v);
    }
    for (k, v) in vars {
        out = out.replace(&format!("{{{{{k}}}}}"), v);
    }
    assert!(!out.contains("{{"), "unsubstituted variable in {out}");
    out
}

/// The container of a CronWorkflow's entrypoint template.
pub fn entry_container(cron: &Value) -> Value {
    let spec = &cron["spec"]["workflowSpec"];
    let t = spec["templates"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["name"] == spec["entrypoint"])
        .unwrap();
    t["container"].clone()
}

/// The Dockerfile's `ENTRYPOINT [...]`, as JSON.
pub fn dockerfile_entrypoint() -> Value {
    let line = dockerfile_line("ENTRYPOINT ");
    serde_json::from_str(&line).unwrap()
}

/// The image's numeric user, from the Dockerfile's `USER UID:GID`.
pub fn dockerfile_user() -> u64 {
    let line = dockerfile_line("USER ");
    line.split(':').next().unwrap().parse().unwrap()
}

fn dockerfile_line(prefix: &str) -> String {
    let dockerfile = std::fs::read_to_string(repo().join("Dockerfile")).unwrap();
    dockerfile
        .lines()
        .find_map(|l| l.strip_prefix(prefix))
        .unwrap_or_else(|| panic!("the Dockerfile has a {prefix}line"))
        .to_string()
}

/// The variables a template's fields see: the workflow's, then each input
/// parameter in order (the given argument, else its default), itself
/// substituted.
pub fn parameters(
    t: &Value,
    args: &[(&str, &str)],
    workflow: &[(&str, &str)],
) -> BTreeMap<String, String> {
    let mut vars: BTreeMap<String, String> = workflow
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    for p in t["inputs"]["parameters"].as_array().into_iter().flatten() {
        let pname = p["name"].as_str().unwrap();
        let value = args
            .iter()
            .find(|(k, _)| *k == pname)
            .map(|(_, v)| v.to_string())
            .or_else(|| p["value"].as_str().map(String::from))
            .unwrap_or_else(|| panic!("parameter {pname} has no value"));
        let value = substitute(&value, &vars);
        vars.insert(format!("inputs.parameters.{pname}"), value);
    }
    vars
}

/// A list of strings (`command`, `args`) with Argo's variables substituted.
pub fn strings(list: &Value, vars: &BTreeMap<String, String>) -> Vec<String> {
    list.as_array()
        .map(|a| {
            a.iter()
                .map(|s| substitute(s.as_str().unwrap(), vars))
                .collect()
        })
        .unwrap_or_default()
}

/// A Secret's key, as a `secretKeyRef` names it: (secret, key, value).
pub type SecretKey<'a> = (&'a str, &'a str, &'a str);

/// A container's environment as its pod gets it: `envFrom` (the one
/// ConfigMap given, when the container names it), then `env` in order,
/// later entries winning. A value has Argo's variables substituted (the
/// controller does that), then `$(VAR)` references to variables defined
/// before it expanded (the kubelet does that; an unknown one stays as it
/// is); a `secretKeyRef` reads `secrets`.
pub fn container_env(
    c: &Value,
    vars: &BTreeMap<String, String>,
    config: Option<&Value>,
    secrets: &[SecretKey],
) -> BTreeMap<String, String> {
    let mut env = BTreeMap::new();
    for from in c["envFrom"].as_array().into_iter().flatten() {
        let name = &from["configMapRef"]["name"];
        match config {
            Some(cm) if cm["metadata"]["name"] == *name => {
                for (k, v) in cm["data"].as_object().unwrap() {
                    env.insert(k.clone(), v.as_str().unwrap().to_string());
                }
            }
            _ => assert_eq!(
                from["configMapRef"]["optional"], true,
                "ConfigMap {name} is not optional and not given"
            ),
        }
    }
    for e in c["env"].as_array().into_iter().flatten() {
        let name = e["name"].as_str().unwrap().to_string();
        let value = if let Some(r) = e["valueFrom"].get("secretKeyRef") {
            let (s, k) = (r["name"].as_str().unwrap(), r["key"].as_str().unwrap());
            let found = secrets.iter().find(|(n, key, _)| *n == s && *key == k);
            found
                .unwrap_or_else(|| panic!("no Secret {s} with key {k} for {name}"))
                .2
                .to_string()
        } else {
            expand(&substitute(e["value"].as_str().unwrap(), vars), &env)
        };
        env.insert(name, value);
    }
    env
}

/// Kubernetes' `$(VAR)` expansion in an env value.
fn expand(s: &str, env: &BTreeMap<String, String>) -> String {
    let mut out = String::new();
    let mut rest = s;
    while let Some(start) = rest.find("$(") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        match after.find(')').map(|end| (&after[..end], end)) {
            Some((name, end)) if env.contains_key(name) => {
                out.push_str(&env[name]);
                rest = &after[end + 1..];
            }
            _ => {
                out.push_str("$(");
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}
