//! One frame on a connection: a 4-byte big-endian length, then the frame as
//! JSON. A connection opens with `Hello` (who is calling), then carries messages.

use serde::{Deserialize, Serialize};
use std::io;
use system::message::{Msg, NodeId};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

/// Largest frame accepted (a produce or fetch batch of a few thousand records fits).
pub const FRAME_BYTES_MAX: u32 = 64 << 20;

/// What a frame carries.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Frame {
    /// The first frame of a connection: the caller's node id.
    Hello {
        from: NodeId,
    },
    Message(Msg),
}

/// The bytes of `frame` on the wire.
pub fn encode(frame: &Frame) -> Vec<u8> {
    let body = serde_json::to_vec(frame).expect("frames are plain data");
    let mut bytes = Vec::with_capacity(4 + body.len());
    bytes.extend_from_slice(&(body.len() as u32).to_be_bytes());
    bytes.extend_from_slice(&body);
    bytes
}

pub async fn write<W: AsyncWrite + Unpin>(out: &mut W, frame: &Frame) -> io::Result<()> {
    out.write_all(&encode(frame)).await?;
    out.flush().await
}

/// The next frame, or `None` at a clean end of stream.
pub async fn read<R: AsyncRead + Unpin>(input: &mut R) -> io::Result<Option<Frame>> {
    let mut length = [0u8; 4];
    match input.read_exact(&mut length).await {
        Ok(_) => {}
        Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => return Ok(None),
        Err(e) => return Err(e),
    }
    let length = u32::from_be_bytes(length);
    if length > FRAME_BYTES_MAX {
        return Err(io::Error::new(io::ErrorKind::InvalidData, format!("frame of {length} bytes")));
    }
    let mut body = vec![0u8; length as usize];
    input.read_exact(&mut body).await?;
    serde_json::from_slice(&body).map(Some).map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e))
}
