//! How each implementation of a trigger is started: the Rust `bootstrap` as `sam build` made it,
//! the Node.js peer under AWS's runtime interface client (or the minimal loop), the Python
//! baseline under `awslambdaric`; all with the same Lambda environment and the fake AWS endpoint.

use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::harness::Launch;
use crate::options::{Options, Trigger};

/// The three implementations, in the table's order.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    Rust,
    Node,
    Python,
}

pub const LANGS: [Lang; 3] = [Lang::Rust, Lang::Node, Lang::Python];

impl Lang {
    pub fn name(self) -> &'static str {
        match self {
            Lang::Rust => "rust",
            Lang::Node => "node",
            Lang::Python => "python",
        }
    }
}

/// How the Node.js peers are run.
#[derive(Clone, PartialEq, Eq)]
pub enum NodeRuntime {
    /// AWS's runtime interface client for Node.js (npm `aws-lambda-ric`), as `bench/node` installs it.
    Ric,
    /// `bench/node/loop.mjs`: the smallest Runtime API loop, the floor under any Node client.
    Loop,
}

pub const NODE_DIR: &str = "bench/node";
pub const PYTHON_DIR: &str = "bench/baseline";
pub const RIC_BIN: &str = "node_modules/aws-lambda-ric/bin/index.mjs";
pub const RIC_ADDON: &str = "node_modules/aws-lambda-ric/dist/rapid-client.node";

/// The Node.js peers as the report names them.
pub struct NodeInfo {
    pub how: String,
    pub version: String,
    pub client_sns: String,
    pub client_dynamodb: String,
}

/// Everything needed to start any of the three implementations of a trigger.
pub struct Runners {
    pub build_dir: PathBuf,
    pub python: PathBuf,
    pub node: PathBuf,
    pub node_runtime: NodeRuntime,
    pub node_dir: PathBuf,
    pub endpoint: String,
    /// [`Options::table`]: `SEND_LIMIT_TABLE` is set for the triggers that use it.
    pub table: bool,
}

impl Runners {
    /// The peers' programs and packages, checked before anything starts; `endpoint` is set once
    /// the fake AWS endpoint is up.
    pub fn find(o: &Options) -> Result<Self, String> {
        // Absolute, but not resolved: the venv's `python` is a symlink that must stay the venv's.
        let python = std::path::absolute(&o.python).ok().filter(|p| p.exists()).ok_or_else(|| {
            format!("{} is missing: `make tools` installs the Python baseline's venv", o.python.display())
        })?;
        let node = find_program(&o.node)
            .ok_or_else(|| format!("{} not found: the Node.js peer needs Node.js 20", o.node.display()))?;
        let node_dir = std::path::absolute(NODE_DIR).map_err(|e| e.to_string())?;
        if !node_dir.join("node_modules/@aws-sdk/client-sns").exists() {
            return Err(format!("{NODE_DIR}/node_modules is missing: `make bench` runs npm ci there"));
        }
        let ric_installed = node_dir.join(RIC_ADDON).exists();
        let node_runtime = match o.node_runtime.clone() {
            Some(NodeRuntime::Ric) if !ric_installed => {
                return Err(format!(
                    "{NODE_DIR}/{RIC_ADDON} is missing: aws-lambda-ric did not build (cmake, autoconf, automake, libtool, g++)"
                ));
            }
            Some(chosen) => chosen,
            None if ric_installed => NodeRuntime::Ric,
            None => NodeRuntime::Loop,
        };
        Ok(Self {
            build_dir: o.build_dir.clone(),
            python,
            node,
            node_runtime,
            node_dir,
            endpoint: String::new(),
            table: o.table,
        })
    }

    /// What the report says of the Node.js peers: how they run, Node's version, their SDK clients.
    pub fn node_info(&self) -> NodeInfo {
        let how = match self.node_runtime {
            NodeRuntime::Ric => format!(
                "AWS's runtime interface client (aws-lambda-ric {})",
                package_version(&self.node_dir, "aws-lambda-ric")
            ),
            NodeRuntime::Loop => {
                "a minimal Runtime API loop (bench/node/loop.mjs, the floor under any Node.js runtime client)".into()
            }
        };
        NodeInfo {
            how,
            version: command_output(&self.node, "--version"),
            client_sns: package_version(&self.node_dir, "@aws-sdk/client-sns"),
            client_dynamodb: package_version(&self.node_dir, "@aws-sdk/client-dynamodb"),
        }
    }

    pub fn launch(&self, lang: Lang, t: &Trigger) -> Launch {
        let mut env: Vec<(String, String)> = [
            ("AWS_REGION", "us-east-1"),
            ("AWS_DEFAULT_REGION", "us-east-1"),
            ("AWS_ACCESS_KEY_ID", "test"),
            ("AWS_SECRET_ACCESS_KEY", "test"),
            ("AWS_LAMBDA_FUNCTION_NAME", "bench"),
            ("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "128"),
            ("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST"),
            ("AWS_LAMBDA_LOG_STREAM_NAME", "bench"),
            ("AWS_LAMBDA_LOG_GROUP_NAME", "/aws/lambda/bench"),
            ("PATH", "/usr/local/bin:/usr/bin:/bin"),
            ("LANG", "C.UTF-8"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
        env.push(("AWS_ENDPOINT_URL".into(), self.endpoint.clone()));
        if t.send_limit && self.table {
            env.push(("SEND_LIMIT_TABLE".into(), "bench-send-limits".into()));
        }
        let handler = format!("{}.handler", t.module);
        match lang {
            Lang::Rust => {
                Launch { program: self.build_dir.join(t.logical_id).join("bootstrap"), args: vec![], cwd: None, env }
            }
            Lang::Node => {
                env.push(("_HANDLER".into(), handler.clone()));
                env.push(("LAMBDA_TASK_ROOT".into(), self.node_dir.display().to_string()));
                let script = match self.node_runtime {
                    NodeRuntime::Ric => RIC_BIN,
                    NodeRuntime::Loop => "loop.mjs",
                };
                Launch {
                    program: self.node.clone(),
                    args: vec![script.into(), handler],
                    cwd: Some(self.node_dir.clone()),
                    env,
                }
            }
            Lang::Python => {
                env.push(("_HANDLER".into(), handler.clone()));
                Launch {
                    program: self.python.clone(),
                    args: vec!["-m".into(), "awslambdaric".into(), handler],
                    cwd: Some(PYTHON_DIR.into()),
                    env,
                }
            }
        }
    }

    /// The deployed code's size: the bootstrap, or the peer's handler file (the SDK comes with
    /// Lambda's Node.js and Python runtimes).
    pub fn artifact(&self, lang: Lang, t: &Trigger) -> PathBuf {
        match lang {
            Lang::Rust => self.build_dir.join(t.logical_id).join("bootstrap"),
            Lang::Node => self.node_dir.join(format!("{}.mjs", t.module)),
            Lang::Python => Path::new(PYTHON_DIR).join(format!("{}.py", t.module)),
        }
    }
}

/// `name` on the `PATH`, or `name` itself when it has a slash.
fn find_program(name: &Path) -> Option<PathBuf> {
    if name.components().count() > 1 {
        return std::path::absolute(name).ok().filter(|p| p.exists());
    }
    std::env::split_paths(&std::env::var_os("PATH")?).map(|dir| dir.join(name)).find(|p| p.is_file())
}

fn package_version(dir: &Path, package: &str) -> String {
    std::fs::read(dir.join("node_modules").join(package).join("package.json"))
        .ok()
        .and_then(|b| serde_json::from_slice::<Value>(&b).ok())
        .and_then(|v| v.get("version").and_then(Value::as_str).map(str::to_owned))
        .unwrap_or_else(|| "?".into())
}

fn command_output(program: &Path, arg: &str) -> String {
    std::process::Command::new(program)
        .arg(arg)
        .output()
        .ok()
        .map(|o| String::from_utf8_lossy(if o.stdout.is_empty() { &o.stderr } else { &o.stdout }).trim().to_owned())
        .unwrap_or_default()
}
