//! The HTTP endpoint of `--metrics ADDR`: `GET /metrics` on a thread of its own (tiny_http), so
//! that a slow, broken or absent scraper never touches the stream.
//!
//! The address is bound before the run starts, so that a port in use is an error at once rather
//! than a silent run without metrics. A bare port means the loopback interface: metrics say how
//! busy the host is and which users get recommended, so exposing them beyond the machine is asked
//! for by naming an address.

use std::net::{SocketAddr, ToSocketAddrs};
use std::sync::Arc;
use std::thread::JoinHandle;

use tiny_http::{Header, Method, Response, Server};

use super::Metrics;

/// The content type of the exposition `prometheus-client` writes.
const CONTENT_TYPE: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

/// Why the endpoint could not start.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    /// `--metrics` names no address.
    #[error("--metrics {given}: {problem}")]
    Address {
        /// What was given.
        given: String,
        /// What is wrong with it.
        problem: String,
    },
    /// The address could not be bound (in use, not local, not permitted).
    #[error("--metrics {addr}: cannot listen there: {problem}")]
    Bind {
        /// The address.
        addr: SocketAddr,
        /// What the operating system said.
        problem: String,
    },
}

/// `PORT` (the loopback interface), `HOST:PORT` or `[V6]:PORT`, resolved to one address.
pub fn parse_addr(given: &str) -> Result<SocketAddr, ServeError> {
    let err = |problem: String| ServeError::Address {
        given: given.to_string(),
        problem,
    };
    if let Ok(port) = given.parse::<u16>() {
        return Ok(SocketAddr::from(([127, 0, 0, 1], port)));
    }
    given
        .to_socket_addrs()
        .map_err(|e| err(format!("{e} (expected PORT or HOST:PORT)")))?
        .next()
        .ok_or_else(|| err("resolves to no address".into()))
}

/// The running endpoint; dropping it stops it.
pub struct MetricsServer {
    server: Arc<Server>,
    addr: SocketAddr,
    thread: Option<JoinHandle<()>>,
}

impl MetricsServer {
    /// Binds `addr` and serves `metrics` there until dropped.
    pub fn start(addr: SocketAddr, metrics: Arc<Metrics>) -> Result<Self, ServeError> {
        let server = Server::http(addr).map_err(|e| ServeError::Bind {
            addr,
            problem: e.to_string(),
        })?;
        // With port 0 the system picked one: report that.
        let addr = server.server_addr().to_ip().unwrap_or(addr);
        let server = Arc::new(server);
        let serving = Arc::clone(&server);
        let thread = std::thread::Builder::new()
            .name("cimflow-metrics".into())
            .spawn(move || {
                for request in serving.incoming_requests() {
                    respond(request, &metrics);
                }
            })
            .map_err(|e| ServeError::Bind {
                addr,
                problem: format!("cannot start the serving thread: {e}"),
            })?;
        Ok(MetricsServer {
            server,
            addr,
            thread: Some(thread),
        })
    }

    /// The address it listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }
}

impl Drop for MetricsServer {
    fn drop(&mut self) {
        self.server.unblock();
        if let Some(thread) = self.thread.take() {
            // A panic there has already been reported; the stream is over anyway.
            let _ = thread.join();
        }
    }
}

/// Answers one request. A scraper that went away is its own business: errors are dropped.
fn respond(request: tiny_http::Request, metrics: &Metrics) {
    let path = request.url().split('?').next().unwrap_or("");
    let response = match (request.method(), path) {
        (Method::Get, "/metrics") => {
            let header =
                Header::from_bytes("Content-Type", CONTENT_TYPE).expect("a valid header (ASCII)");
            Response::from_string(metrics.encode()).with_header(header)
        }
        (Method::Get, _) => {
            Response::from_string("not found: try /metrics\n").with_status_code(404)
        }
        _ => Response::from_string("only GET\n").with_status_code(405),
    };
    let _ = request.respond(response);
}

#[cfg(test)]
mod tests {
    use std::io::{Read, Write};
    use std::net::TcpStream;

    use super::*;
    use crate::metrics::Role;

    fn get(addr: SocketAddr, path: &str) -> String {
        let mut s = TcpStream::connect(addr).unwrap();
        write!(
            s,
            "GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
        )
        .unwrap();
        let mut text = String::new();
        s.read_to_string(&mut text).unwrap();
        text
    }

    #[test]
    fn serves_metrics_and_refuses_a_taken_port() {
        let metrics = Arc::new(Metrics::new(Role::Run));
        let server = MetricsServer::start(parse_addr("0").unwrap(), Arc::clone(&metrics)).unwrap();
        let addr = server.addr();
        assert!(addr.ip().is_loopback() && addr.port() != 0);
        let text = get(addr, "/metrics");
        assert!(text.starts_with("HTTP/1.1 200"), "{text}");
        assert!(text.contains(CONTENT_TYPE) && text.contains("cimflow_epochs_total 0"));
        assert!(get(addr, "/nothing").starts_with("HTTP/1.1 404"));
        let taken = MetricsServer::start(addr, metrics)
            .err()
            .expect("the port is taken");
        assert!(matches!(taken, ServeError::Bind { .. }), "{taken}");
        // tiny_http closes its listener on its own accept thread, soon after the drop.
        drop(server);
        let closed = (0..200).any(|_| {
            std::thread::sleep(std::time::Duration::from_millis(10));
            TcpStream::connect(addr).is_err()
        });
        assert!(closed, "still listening 2 s after the drop");
    }

    #[test]
    fn addresses() {
        assert_eq!(
            parse_addr("9184").unwrap(),
            "127.0.0.1:9184".parse().unwrap()
        );
        assert_eq!(
            parse_addr("0.0.0.0:80").unwrap(),
            "0.0.0.0:80".parse().unwrap()
        );
        assert_eq!(parse_addr("[::1]:80").unwrap(), "[::1]:80".parse().unwrap());
        assert!(parse_addr("nonsense").is_err());
        assert!(parse_addr("127.0.0.1:99999").is_err());
    }
}
