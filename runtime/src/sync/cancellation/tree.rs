//! The shared tree behind `CancellationToken`s.
//!
//! Each token points (through an `Arc`) to a `TreeNode`: a `cancelled` flag, a [`Notify`] whose
//! `notify_waiters` releases every `cancelled()` future, and, under a mutex, the node's parent,
//! its children and how many tokens share it. A parent owns its children (`Arc`s in a `Vec`);
//! a child knows its parent and its own index in the parent's `Vec`, so it can be removed in
//! O(1) with `swap_remove` (the index of the child moved into its place is fixed up; indices are
//! only read or written under the *parent's* lock).
//!
//! Cancelling a node sets its flag and detaches all its children under its lock, wakes its
//! waiters, then cancels the detached children, iteratively (an explicit stack, so a deep chain
//! cannot overflow the thread's stack). Only one lock is held at a time there.
//!
//! When a node's last token is dropped and it has no children left, it detaches from its
//! parent, which may in turn become childless and token-less and detach, and so on up. A node
//! whose tokens are gone but whose children live stays as a relay, so cancelling an ancestor
//! still reaches them. No code path holds two nodes' locks at once, so there is no lock order
//! to get wrong; every step re-checks, under the lock it takes, what it read before.

use std::mem;

use crate::loom::sync::atomic::{AtomicBool, AtomicUsize, Ordering::*};
use crate::loom::sync::{Arc, Mutex};
use crate::sync::notify::Notify;

pub(super) struct TreeNode {
    cancelled: AtomicBool,
    pub(super) notify: Notify,
    inner: Mutex<Inner>,
    /// This node's index in its parent's `children`; read and written under the parent's lock.
    index_in_parent: AtomicUsize,
}

struct Inner {
    parent: Option<Arc<TreeNode>>,
    children: Vec<Arc<TreeNode>>,
    /// Tokens pointing at this node.
    tokens: usize,
}

impl TreeNode {
    /// A root node with one token.
    pub(super) fn root() -> Arc<TreeNode> {
        Arc::new(TreeNode::new(None, false))
    }

    fn new(parent: Option<Arc<TreeNode>>, cancelled: bool) -> TreeNode {
        TreeNode {
            cancelled: AtomicBool::new(cancelled),
            notify: Notify::new(),
            inner: Mutex::new(Inner {
                parent,
                children: Vec::new(),
                tokens: 1,
            }),
            index_in_parent: AtomicUsize::new(0),
        }
    }

    pub(super) fn is_cancelled(&self) -> bool {
        self.cancelled.load(Acquire)
    }

    /// A new child of `this` with one token; born cancelled if `this` is.
    pub(super) fn child(this: &Arc<TreeNode>) -> Arc<TreeNode> {
        let mut inner = this.inner.lock();
        if this.is_cancelled() {
            return Arc::new(TreeNode::new(None, true));
        }
        let child = Arc::new(TreeNode::new(Some(this.clone()), false));
        child.index_in_parent.store(inner.children.len(), Relaxed);
        inner.children.push(child.clone());
        child
    }

    /// One more token for this node.
    pub(super) fn add_token(&self) {
        self.inner.lock().tokens += 1;
    }

    /// One token fewer; a node left without tokens and children detaches from its parent.
    pub(super) fn drop_token(this: &Arc<TreeNode>) {
        let mut inner = this.inner.lock();
        inner.tokens -= 1;
        let idle = inner.tokens == 0 && inner.children.is_empty();
        drop(inner);
        if idle {
            detach_upwards(this.clone());
        }
    }

    /// Cancels `this` and its whole subtree.
    pub(super) fn cancel(this: &Arc<TreeNode>) {
        let mut stack = vec![this.clone()];
        while let Some(node) = stack.pop() {
            let mut inner = node.inner.lock();
            if node.is_cancelled() {
                continue;
            }
            node.cancelled.store(true, Release);
            let children = mem::take(&mut inner.children);
            // Detached from its parent here (if still attached): a cancelled node needs no
            // relay, and this keeps parent links pointing only at live, uncancelled nodes.
            let parent = inner.parent.take();
            drop(inner);
            node.notify.notify_waiters();
            if let Some(parent) = parent {
                if remove_child(&parent, &node) {
                    detach_upwards(parent);
                }
            }
            for child in &children {
                child.inner.lock().parent = None;
            }
            stack.extend(children);
        }
    }
}

/// Removes `child` from `parent`'s children if it is still there. Returns whether `parent` is
/// now token-less and childless (so it should detach in turn).
fn remove_child(parent: &Arc<TreeNode>, child: &Arc<TreeNode>) -> bool {
    let mut inner = parent.inner.lock();
    let index = child.index_in_parent.load(Relaxed);
    match inner.children.get(index) {
        Some(found) if Arc::ptr_eq(found, child) => {}
        // Already removed (the parent was cancelled and dropped its children).
        _ => return false,
    }
    inner.children.swap_remove(index);
    if let Some(moved) = inner.children.get(index) {
        moved.index_in_parent.store(index, Relaxed);
    }
    let parent_idle = inner.tokens == 0 && inner.children.is_empty();
    drop(inner);
    parent_idle
}

/// Detaches a token-less, childless `node` from its parent, then its parent if that became
/// token-less and childless, and so on.
fn detach_upwards(mut node: Arc<TreeNode>) {
    loop {
        let parent = {
            let mut inner = node.inner.lock();
            if inner.tokens != 0 || !inner.children.is_empty() {
                return;
            }
            // Nobody can add a child or a token to a node without tokens, so it stays idle.
            match inner.parent.take() {
                Some(parent) => parent,
                None => return,
            }
        };
        if !remove_child(&parent, &node) {
            return;
        }
        node = parent;
    }
}

#[cfg(test)]
impl TreeNode {
    /// How many children the node holds (tests only).
    pub(super) fn child_count(&self) -> usize {
        self.inner.lock().children.len()
    }
}
