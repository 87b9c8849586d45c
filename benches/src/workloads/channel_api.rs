//! The channel vocabulary the channel workloads are written in, once per runtime: same function
//! names and shapes, so a workload macro instantiated with `blitz` or `tokio` runs the same
//! steps. Tokio's counterparts: `tokio::sync::mpsc` (its bounded and unbounded flavours are
//! different types, hence the `u*` functions) and `tokio::sync::oneshot`. Tokio has no MPMC
//! channel; its shared receiver is an mpsc receiver behind a `tokio::sync::Mutex`. A third
//! vocabulary, `async_chan`, covers just the MPMC case with the `async-channel` crate on Tokio.

pub(crate) mod blitz {
    use blitz_io::channel::{mpmc, oneshot};

    pub(crate) use blitz_io::task::spawn;

    pub(crate) type Tx<T> = mpmc::Sender<T>;
    pub(crate) type Rx<T> = mpmc::Receiver<T>;
    pub(crate) type UTx<T> = mpmc::Sender<T>;
    pub(crate) type URx<T> = mpmc::Receiver<T>;
    pub(crate) type SharedRx<T> = mpmc::Receiver<T>;

    pub(crate) fn bounded<T>(cap: usize) -> (Tx<T>, Rx<T>) {
        mpmc::bounded(cap)
    }
    pub(crate) fn unbounded<T>() -> (UTx<T>, URx<T>) {
        mpmc::unbounded()
    }
    pub(crate) fn try_send<T>(tx: &Tx<T>, value: T) -> bool {
        tx.try_send(value).is_ok()
    }
    pub(crate) async fn send<T>(tx: &Tx<T>, value: T) {
        assert!(tx.send(value).await.is_ok(), "blitz-io: channel closed");
    }
    pub(crate) fn usend<T>(tx: &UTx<T>, value: T) {
        assert!(tx.try_send(value).is_ok(), "blitz-io: channel closed");
    }
    pub(crate) fn try_recv<T>(rx: &mut Rx<T>) -> Option<T> {
        rx.try_recv().ok()
    }
    pub(crate) async fn recv<T>(rx: &mut Rx<T>) -> Option<T> {
        rx.recv().await.ok()
    }
    pub(crate) async fn urecv<T>(rx: &mut URx<T>) -> Option<T> {
        rx.recv().await.ok()
    }
    pub(crate) async fn recv_many<T>(rx: &mut Rx<T>, buffer: &mut Vec<T>, limit: usize) -> usize {
        rx.recv_many(buffer, limit).await
    }
    pub(crate) fn share<T>(rx: Rx<T>) -> SharedRx<T> {
        rx
    }
    pub(crate) async fn recv_shared<T>(rx: &SharedRx<T>) -> Option<T> {
        rx.recv().await.ok()
    }

    pub(crate) type OTx<T> = oneshot::Sender<T>;
    pub(crate) type ORx<T> = oneshot::Receiver<T>;
    pub(crate) fn oneshot<T>() -> (OTx<T>, ORx<T>) {
        oneshot::channel()
    }
    pub(crate) fn osend<T>(tx: OTx<T>, value: T) {
        assert!(tx.send(value).is_ok(), "blitz-io: oneshot receiver gone");
    }
    pub(crate) async fn orecv<T>(rx: ORx<T>) -> Option<T> {
        rx.await.ok()
    }
}

pub(crate) mod tokio {
    use std::sync::Arc;
    use tokio::sync::{mpsc, oneshot, Mutex};

    pub(crate) use tokio::spawn;

    pub(crate) type Tx<T> = mpsc::Sender<T>;
    pub(crate) type Rx<T> = mpsc::Receiver<T>;
    pub(crate) type UTx<T> = mpsc::UnboundedSender<T>;
    pub(crate) type URx<T> = mpsc::UnboundedReceiver<T>;
    pub(crate) type SharedRx<T> = Arc<Mutex<mpsc::Receiver<T>>>;

    pub(crate) fn bounded<T>(cap: usize) -> (Tx<T>, Rx<T>) {
        mpsc::channel(cap)
    }
    pub(crate) fn unbounded<T>() -> (UTx<T>, URx<T>) {
        mpsc::unbounded_channel()
    }
    pub(crate) fn try_send<T>(tx: &Tx<T>, value: T) -> bool {
        tx.try_send(value).is_ok()
    }
    pub(crate) async fn send<T>(tx: &Tx<T>, value: T) {
        assert!(tx.send(value).await.is_ok(), "tokio: channel closed");
    }
    pub(crate) fn usend<T>(tx: &UTx<T>, value: T) {
        assert!(tx.send(value).is_ok(), "tokio: channel closed");
    }
    pub(crate) fn try_recv<T>(rx: &mut Rx<T>) -> Option<T> {
        rx.try_recv().ok()
    }
    pub(crate) async fn recv<T>(rx: &mut Rx<T>) -> Option<T> {
        rx.recv().await
    }
    pub(crate) async fn urecv<T>(rx: &mut URx<T>) -> Option<T> {
        rx.recv().await
    }
    pub(crate) async fn recv_many<T>(rx: &mut Rx<T>, buffer: &mut Vec<T>, limit: usize) -> usize {
        rx.recv_many(buffer, limit).await
    }
    pub(crate) fn share<T>(rx: Rx<T>) -> SharedRx<T> {
        Arc::new(Mutex::new(rx))
    }
    pub(crate) async fn recv_shared<T>(rx: &SharedRx<T>) -> Option<T> {
        rx.lock().await.recv().await
    }

    pub(crate) type OTx<T> = oneshot::Sender<T>;
    pub(crate) type ORx<T> = oneshot::Receiver<T>;
    pub(crate) fn oneshot<T>() -> (OTx<T>, ORx<T>) {
        oneshot::channel()
    }
    pub(crate) fn osend<T>(tx: OTx<T>, value: T) {
        assert!(tx.send(value).is_ok(), "tokio: oneshot receiver gone");
    }
    pub(crate) async fn orecv<T>(rx: ORx<T>) -> Option<T> {
        rx.await.ok()
    }
}

/// The subset of the vocabulary `mpmc_4p4c` needs, over the `async-channel` crate (a real MPMC
/// channel: its receivers are cloned, not shared behind a lock), spawned on Tokio.
pub(crate) mod async_chan {
    pub(crate) use tokio::spawn;

    pub(crate) type Tx<T> = async_channel::Sender<T>;
    pub(crate) type Rx<T> = async_channel::Receiver<T>;
    pub(crate) type SharedRx<T> = async_channel::Receiver<T>;

    pub(crate) fn bounded<T>(cap: usize) -> (Tx<T>, Rx<T>) {
        async_channel::bounded(cap)
    }
    pub(crate) async fn send<T>(tx: &Tx<T>, value: T) {
        assert!(
            tx.send(value).await.is_ok(),
            "async-channel: channel closed"
        );
    }
    pub(crate) fn share<T>(rx: Rx<T>) -> SharedRx<T> {
        rx
    }
    pub(crate) async fn recv_shared<T>(rx: &SharedRx<T>) -> Option<T> {
        rx.recv().await.ok()
    }
}
