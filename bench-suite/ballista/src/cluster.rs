//! The cluster's processes: a scheduler and executors, configured as Ballista's own binaries configure them
//! (`ballista-scheduler` and `ballista-executor` 55: the S3 object-store registry, DataFusion's defaults), bound
//! to 127.0.0.1.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use ballista_core::object_store::{runtime_env_with_s3_support, session_config_with_s3_support, session_state_with_s3_support};
use ballista_executor::executor_process::{ExecutorProcessConfig, start_executor_process};
use ballista_scheduler::cluster::BallistaCluster;
use ballista_scheduler::config::SchedulerConfig;
use ballista_scheduler::scheduler_process::{create_scheduler, start_grpc_service_with_listener};
use datafusion_proto::protobuf::{LogicalPlanNode, PhysicalPlanNode};

/// What the scheduler prints once it listens, before its URL.
pub const SCHEDULER_PREFIX: &str = "POLAROID-BALLISTA ";
/// What an executor prints once the scheduler has accepted it, before its id.
pub const READY_PREFIX: &str = "POLAROID-BALLISTA-READY ";

/// Runs a scheduler on 127.0.0.1:`port` (a free port for 0) until the process is stopped.
pub async fn scheduler(port: u16) -> Result<(), String> {
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port))
        .await
        .map_err(|e| format!("the scheduler cannot listen on 127.0.0.1:{port} ({e}); choose another --port, or 0 for a free one"))?;
    let addr = listener.local_addr().map_err(|e| format!("the scheduler's address: {e}"))?;
    let config = SchedulerConfig {
        bind_host: "127.0.0.1".into(),
        external_host: "127.0.0.1".into(),
        bind_port: addr.port(),
        override_config_producer: Some(Arc::new(session_config_with_s3_support)),
        override_session_builder: Some(Arc::new(session_state_with_s3_support)),
        ..Default::default()
    };
    config.validate().map_err(|e| format!("the scheduler's configuration: {e}"))?;
    let config = Arc::new(config);
    let cluster = BallistaCluster::new_from_config(&config).await.map_err(|e| format!("the scheduler's cluster state: {e}"))?;
    let scheduler =
        create_scheduler::<LogicalPlanNode, PhysicalPlanNode>(cluster, config).await.map_err(|e| format!("the scheduler: {e}"))?;
    println!("{SCHEDULER_PREFIX}df://{addr}");
    start_grpc_service_with_listener(listener, scheduler).await.map_err(|e| format!("the scheduler stopped: {e}"))
}

/// `df://HOST:PORT` (or `HOST:PORT`) as a host and a port.
pub fn parse_scheduler(url: &str) -> Result<(String, u16), String> {
    let rest = url.strip_prefix("df://").unwrap_or(url);
    let (host, port) = rest
        .rsplit_once(':')
        .ok_or_else(|| format!("scheduler '{url}' names no port; write df://HOST:PORT, e.g. df://127.0.0.1:50050"))?;
    let port = port.trim_end_matches('/').parse::<u16>().map_err(|_| format!("scheduler '{url}': '{port}' is not a port; write df://HOST:PORT"))?;
    if host.is_empty() {
        return Err(format!("scheduler '{url}' names no host; write df://HOST:PORT"));
    }
    Ok((host.to_string(), port))
}

/// A free port on 127.0.0.1 (released at once: the executor binds it itself).
fn free_port() -> Result<u16, String> {
    let socket = std::net::TcpListener::bind("127.0.0.1:0").map_err(|e| format!("no free port on 127.0.0.1: {e}"))?;
    socket.local_addr().map(|a: SocketAddr| a.port()).map_err(|e| format!("no free port on 127.0.0.1: {e}"))
}

/// Runs an executor of the scheduler at `scheduler` with `slots` task slots until the process is stopped.
pub async fn executor(scheduler: &str, slots: usize, work_dir: Option<String>) -> Result<(), String> {
    let (scheduler_host, scheduler_port) = parse_scheduler(scheduler)?;
    if slots == 0 {
        return Err("--slots must be at least 1".into());
    }
    let config = ExecutorProcessConfig {
        bind_host: "127.0.0.1".into(),
        external_host: Some("127.0.0.1".into()),
        port: free_port()?,
        grpc_port: free_port()?,
        scheduler_host,
        scheduler_port,
        // A scheduler that is not up yet is waited for this long, not refused at once.
        scheduler_connect_timeout_seconds: 30,
        vcores: slots,
        work_dir,
        special_mod_log_level: "WARN".into(),
        override_config_producer: Some(Arc::new(session_config_with_s3_support)),
        override_runtime_producer: Some(Arc::new(runtime_env_with_s3_support)),
        ..Default::default()
    };
    let health = config.health.clone();
    let id = config.executor_id.clone();
    tokio::spawn(async move {
        while !health.is_ready() {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        println!("{READY_PREFIX}{id}");
    });
    start_executor_process(Arc::new(config)).await.map_err(|e| format!("the executor stopped: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_scheduler_url_is_a_host_and_a_port_and_anything_else_says_what_to_write() {
        assert_eq!(parse_scheduler("df://127.0.0.1:50050").unwrap(), ("127.0.0.1".to_string(), 50050));
        assert_eq!(parse_scheduler("localhost:7").unwrap(), ("localhost".to_string(), 7));
        assert!(parse_scheduler("df://127.0.0.1").unwrap_err().contains("df://HOST:PORT"));
        assert!(parse_scheduler("df://h:port").unwrap_err().contains("not a port"));
        assert!(parse_scheduler("df://:1").unwrap_err().contains("no host"));
    }
}
