//! The network the node shell needs: a listener, accepted streams and
//! outgoing connections by host name. The shell is generic over it, so the
//! same code can run the nodes on turmoil's simulated TCP or, later, as real
//! processes on `tokio::net`.

use std::future::Future;
use std::io;
use tokio::io::{AsyncRead, AsyncWrite};

/// A stream transport addressed by host name and port.
pub trait Net: 'static {
    type Stream: AsyncRead + AsyncWrite + Unpin + 'static;
    type Listener: 'static;
    /// Listens on `port` on every address of this host.
    fn listen(port: u16) -> impl Future<Output = io::Result<Self::Listener>>;
    /// The next incoming connection.
    fn accept(listener: &Self::Listener) -> impl Future<Output = io::Result<Self::Stream>>;
    /// Connects to `host:port`.
    fn connect(host: &str, port: u16) -> impl Future<Output = io::Result<Self::Stream>>;
}

/// turmoil's simulated TCP (`turmoil::net`): host names resolve through the simulation's DNS.
pub struct TurmoilNet;

impl Net for TurmoilNet {
    type Stream = turmoil::net::TcpStream;
    type Listener = turmoil::net::TcpListener;

    async fn listen(port: u16) -> io::Result<Self::Listener> {
        turmoil::net::TcpListener::bind(format!("0.0.0.0:{port}")).await
    }

    async fn accept(listener: &Self::Listener) -> io::Result<Self::Stream> {
        listener.accept().await.map(|(stream, _)| stream)
    }

    async fn connect(host: &str, port: u16) -> io::Result<Self::Stream> {
        turmoil::net::TcpStream::connect(format!("{host}:{port}")).await
    }
}
