//! Sessions: named groups of preserved files, outgoing (this kernel to the
//! next) or incoming (handed over by the previous kernel).
use std::ffi::CStr;
use std::mem;
use std::os::unix::io::{AsFd, AsRawFd, BorrowedFd, FromRawFd, OwnedFd, RawFd};
use std::ptr::NonNull;

use liveupdate_sys as sys;

use crate::error::{check, created, text, Result};

/// Which way a session goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Direction {
    /// Created in this kernel, for the next one.
    Outgoing,
    /// Handed over by the previous kernel.
    Incoming,
}

/// Options for [`Context::create_session_with`](crate::Context::create_session_with).
#[derive(Clone, Copy, Debug, Default)]
pub struct SessionOptions {
    no_manifest: bool,
    handover: bool,
    manifest_size: usize,
}

impl SessionOptions {
    /// A session with a manifest (made once something is recorded; its
    /// first piece 4 KiB).
    pub fn new() -> SessionOptions {
        SessionOptions::default()
    }

    /// No manifest: files are found by token only.
    pub fn no_manifest(mut self) -> SessionOptions {
        self.no_manifest = true;
        self
    }

    /// Keep a duplicate of every fd preserved in the session (one open fd
    /// per file), so that it can be handed to a successor process with
    /// [`Session::handover`], and [`Session::retrieve_fd`] gives new fds of
    /// its files while it is outgoing.
    pub fn handover(mut self) -> SessionOptions {
        self.handover = true;
        self
    }

    /// The size in bytes of the manifest's first piece: a multiple of 4 KiB,
    /// up to 64 MiB (other sizes are refused by the create call, never
    /// rounded); further pieces are added as it fills.
    pub fn manifest_size(mut self, bytes: usize) -> SessionOptions {
        self.manifest_size = bytes;
        self
    }

    pub(crate) fn to_raw(self) -> sys::liveupdate_session_opts {
        // SAFETY: an all-zero option struct means "defaults".
        let mut o: sys::liveupdate_session_opts = unsafe { mem::zeroed() };
        o.sz = mem::size_of_val(&o);
        o.flags = 0;
        if self.no_manifest {
            o.flags |= sys::LIVEUPDATE_SESSION_NO_MANIFEST;
        }
        if self.handover {
            o.flags |= sys::LIVEUPDATE_SESSION_HANDOVER;
        }
        o.manifest_size = self.manifest_size;
        o
    }
}

/// A live update session (`struct liveupdate_session`), owning its
/// reference and, through it, the session fd.
///
/// The kernel's rule holds here as in C: the session lives as long as its
/// fd. Dropping the last reference to an **outgoing** session aborts it
/// (every file in it is unpreserved); keep it alive across the kexec.
/// Dropping an **incoming** one finishes it (files not retrieved are
/// dropped); [`finish`](Session::finish) does that explicitly and reports
/// errors. The fd is lent with [`AsFd`]; `try_clone_to_owned()` on it gives
/// a duplicate to hand to another process.
///
/// The C library allows one thread at a time per session: `Session` is
/// `Send` but not `Sync`, and not `Clone`:
///
/// ```compile_fail
/// fn shared_between_threads<T: Sync>() {}
/// shared_between_threads::<liveupdate::Session>();
/// ```
#[derive(Debug)]
pub struct Session {
    raw: NonNull<sys::liveupdate_session>,
}

// SAFETY: liveupdate.h: "a session object must be used by one thread at a
// time; distinct sessions may be used from distinct threads concurrently";
// its reference counts (the session's, its context's) are atomic.
unsafe impl Send for Session {}

impl Session {
    /// Takes over `raw`, the reference a successful call returned.
    pub(crate) fn from_raw(raw: *mut sys::liveupdate_session) -> Result<Session> {
        Ok(Session {
            raw: created(raw, "a session call")?,
        })
    }

    pub(crate) fn as_ptr(&self) -> *mut sys::liveupdate_session {
        self.raw.as_ptr()
    }

    /// The session's name, as the kernel holds it.
    pub fn name(&self) -> &CStr {
        // SAFETY: never NULL for a live session, valid while it lives.
        unsafe { text(sys::liveupdate_session_get_name(self.as_ptr())) }
    }

    /// Outgoing or incoming.
    pub fn direction(&self) -> Direction {
        // SAFETY: a live session.
        match unsafe { sys::liveupdate_session_get_direction(self.as_ptr()) } {
            sys::LIVEUPDATE_SESSION_INCOMING => Direction::Incoming,
            _ => Direction::Outgoing,
        }
    }

    /// Whether [`finish`](Session::finish) succeeded.
    pub fn is_finished(&self) -> bool {
        // SAFETY: a live session.
        unsafe { sys::liveupdate_session_is_finished(self.as_ptr()) == 1 }
    }

    /// End an incoming session's restoration: files retrieved so far are
    /// the process's; tokens never retrieved are dropped. The fd stays open
    /// until the session is dropped. An error (EBUSY: retry later) leaves
    /// the session as it was.
    pub fn finish(&self) -> Result<()> {
        // SAFETY: a live session.
        check(unsafe { sys::liveupdate_session_finish(self.as_ptr()) }).map(drop)
    }

    /// Preserve a file (a memfd) under `token`, unique in the session. From
    /// then on its size is frozen; the caller keeps `fd`.
    pub fn preserve_fd(&self, fd: BorrowedFd<'_>, token: u64) -> Result<()> {
        // SAFETY: a live session and an open fd.
        check(unsafe { sys::liveupdate_session_preserve_fd(self.as_ptr(), fd.as_raw_fd(), token) })
            .map(drop)
    }

    /// A new fd to a file of an incoming session, by token.
    pub fn retrieve_fd(&self, token: u64) -> Result<OwnedFd> {
        let mut fd: RawFd = -1;
        // SAFETY: a live session; on success `fd` is ours.
        check(unsafe { sys::liveupdate_session_retrieve_fd(self.as_ptr(), token, &mut fd) })?;
        // SAFETY: a new fd owned by the caller.
        Ok(unsafe { OwnedFd::from_raw_fd(fd) })
    }
}

impl AsFd for Session {
    fn as_fd(&self) -> BorrowedFd<'_> {
        // SAFETY: the session owns this open fd for as long as it lives.
        unsafe { BorrowedFd::borrow_raw(sys::liveupdate_session_get_fd(self.as_ptr())) }
    }
}

impl AsRawFd for Session {
    fn as_raw_fd(&self) -> RawFd {
        self.as_fd().as_raw_fd()
    }
}

impl Drop for Session {
    /// Closes the session: aborts an outgoing one, finishes an incoming one.
    fn drop(&mut self) {
        // SAFETY: this value's reference, dropped once.
        unsafe { sys::liveupdate_session_unref(self.as_ptr()) };
    }
}
