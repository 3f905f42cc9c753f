//! A TCP proxy between the push client and the server that breaks connections on command:
//! cut them all, cut each after a random lifetime, or silently swallow the traffic of one
//! source address (a network that vanished without a reset).

use std::collections::HashSet;
use std::net::{IpAddr, SocketAddr};
use std::ops::Range;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;

#[derive(Default)]
struct Control {
    /// Each connection lives a random time in this range, then is cut.
    lifetime_ms: Mutex<Option<Range<u64>>>,
    /// Traffic from these source addresses is dropped without closing anything.
    blackholed: Mutex<HashSet<IpAddr>>,
    cuts: AtomicU64,
    connections: AtomicU64,
    seed: AtomicU64,
}

/// A running proxy.
pub struct Proxy {
    pub addr: SocketAddr,
    ctl: Arc<Control>,
    cut_all: watch::Sender<u64>,
    task: tokio::task::JoinHandle<()>,
}

impl Proxy {
    /// Listens on `listen` and forwards to `upstream`.
    pub async fn start(listen: SocketAddr, upstream: SocketAddr) -> Proxy {
        let listener = TcpListener::bind(listen).await.unwrap();
        let addr = listener.local_addr().unwrap();
        let ctl = Arc::new(Control {
            seed: AtomicU64::new(0x9E37_79B9_7F4A_7C15),
            ..Default::default()
        });
        let (cut_all, cut_rx) = watch::channel(0u64);
        let c = ctl.clone();
        let task = tokio::spawn(async move {
            loop {
                let Ok((client, peer)) = listener.accept().await else {
                    continue;
                };
                let Ok(server) = TcpStream::connect(upstream).await else {
                    continue;
                };
                c.connections.fetch_add(1, Ordering::Relaxed);
                let lifetime = c.lifetime_ms.lock().unwrap().clone().map(|r| {
                    let x = next_random(&c.seed);
                    Duration::from_millis(r.start + x % (r.end - r.start).max(1))
                });
                // A new connection is not hit by cuts made before it existed.
                let mut cut = cut_rx.clone();
                cut.borrow_and_update();
                tokio::spawn(pipe(client, server, peer.ip(), c.clone(), cut, lifetime));
            }
        });
        Proxy {
            addr,
            ctl,
            cut_all,
            task,
        }
    }

    /// Cuts every open connection now.
    pub fn cut_all(&self) {
        self.cut_all.send_modify(|g| *g += 1);
    }

    /// From now on each new connection is cut after a random lifetime in `range` (ms).
    pub fn random_cuts(&self, range: Option<Range<u64>>) {
        *self.ctl.lifetime_ms.lock().unwrap() = range;
    }

    /// Swallows (or stops swallowing) the traffic of connections from `ip`.
    pub fn blackhole(&self, ip: IpAddr, on: bool) {
        let mut set = self.ctl.blackholed.lock().unwrap();
        if on {
            set.insert(ip);
        } else {
            set.remove(&ip);
        }
    }

    /// Connections cut by the random lifetimes so far.
    pub fn cuts(&self) -> u64 {
        self.ctl.cuts.load(Ordering::Relaxed)
    }

    /// Connections accepted so far.
    pub fn connections(&self) -> u64 {
        self.ctl.connections.load(Ordering::Relaxed)
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.cut_all();
        self.task.abort();
    }
}

fn next_random(seed: &AtomicU64) -> u64 {
    // xorshift64*: deterministic and good enough to spread lifetimes.
    let mut x = seed.load(Ordering::Relaxed);
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    seed.store(x, Ordering::Relaxed);
    x.wrapping_mul(0x2545_F491_4F6C_DD1D)
}

async fn pipe(
    mut client: TcpStream,
    mut server: TcpStream,
    peer: IpAddr,
    ctl: Arc<Control>,
    mut cut: watch::Receiver<u64>,
    lifetime: Option<Duration>,
) {
    let _ = client.set_nodelay(true);
    let _ = server.set_nodelay(true);
    let (mut cr, mut cw) = client.split();
    let (mut sr, mut sw) = server.split();
    let mut up = vec![0u8; 16 * 1024];
    let mut down = vec![0u8; 16 * 1024];
    let deadline = lifetime.map(|d| tokio::time::Instant::now() + d);
    let black = |ctl: &Control| ctl.blackholed.lock().unwrap().contains(&peer);
    loop {
        tokio::select! {
            _ = cut.changed() => break,
            _ = async { tokio::time::sleep_until(deadline.unwrap()).await }, if deadline.is_some() => {
                ctl.cuts.fetch_add(1, Ordering::Relaxed);
                break;
            }
            n = cr.read(&mut up) => match n {
                Ok(0) | Err(_) => break,
                Ok(n) => if !black(&ctl) && sw.write_all(&up[..n]).await.is_err() { break },
            },
            n = sr.read(&mut down) => match n {
                Ok(0) | Err(_) => break,
                Ok(n) => if !black(&ctl) && cw.write_all(&down[..n]).await.is_err() { break },
            },
        }
    }
    // Abortive close (RST) on the client side, like a connection torn down mid-flight.
    #[allow(deprecated)] // set_linger blocks on close only with a non-zero linger time
    let _ = client.set_linger(Some(Duration::ZERO));
}
