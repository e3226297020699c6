//! Handing a live session to a successor process on the same kernel (a VMM
//! that restarts itself): the session fd, every file preserved in it and
//! its manifest travel over a connected Unix socket; the successor goes on
//! as after a kernel update (find by label, preserve more, hand over again,
//! keep it across the kexec). One code path for both kinds of update.
use std::os::unix::io::{AsRawFd, BorrowedFd};
use std::ptr;

use liveupdate_sys as sys;

use crate::error::{check, Result};
use crate::{Context, Session};

impl Session {
    /// Hand this outgoing session to a successor process over `sock`, a
    /// connected Unix stream or seqpacket socket whose peer (of this uid)
    /// calls [`Context::receive_session`]: the session fd, every file
    /// preserved in it and its manifest. The
    /// session must keep its files
    /// ([`SessionOptions::handover`](crate::SessionOptions::handover)) or
    /// have been received itself. Nothing changes until the successor
    /// acknowledges; on an error (ECONNREFUSED: it refused, and the message
    /// says why; EPERM: another uid; a socket error: it died) this session
    /// is intact and usable. After success the successor holds the session
    /// and its manifest: calls on this one that would change it fail
    /// (EINVAL); dropping it closes only this process's fd.
    ///
    /// ```
    /// use liveupdate::{Backend, Context, ContextOptions, MemoryOptions, Preserve, SessionOptions};
    /// use std::os::unix::io::AsFd;
    /// use std::os::unix::net::UnixStream;
    ///
    /// # let ctx = Context::with_options(&ContextOptions::new().backend(Backend::Simulator))?;
    /// let name = format!("doc-handover-{}", std::process::id());
    /// let session = ctx.create_session_with(&name, &SessionOptions::new().handover())?;
    /// let state = ctx.new_memory(&MemoryOptions::new(4096))?;
    /// session.preserve(state.as_fd(), &Preserve::new().label("state"))?;
    /// let (here, there) = UnixStream::pair().expect("a socketpair");
    /// // the successor, usually another process (here a thread)
    /// let successor = std::thread::spawn(move || {
    ///     let ctx = Context::with_options(&ContextOptions::new().backend(Backend::Simulator))?;
    ///     let session = ctx.receive_session(there.as_fd())?;
    ///     session.find_entry("state").map(|e| e.token())
    /// });
    /// session.handover(here.as_fd())?;
    /// assert!(successor.join().unwrap().is_ok());
    /// # Ok::<(), liveupdate::Error>(())
    /// ```
    pub fn handover(&self, sock: BorrowedFd<'_>) -> Result<()> {
        // SAFETY: a live session and an open fd.
        check(unsafe { sys::liveupdate_session_handover(self.as_ptr(), sock.as_raw_fd()) }).map(drop)
    }
}

impl Context {
    /// Receive a session a predecessor process hands over with
    /// [`Session::handover`] on `sock`, a connected Unix stream or seqpacket
    /// socket (the caller keeps it). The session is outgoing, keeps its
    /// files and comes with its manifest: find and retrieve its files by
    /// label or token, preserve and label more, hand it over again, or keep
    /// it across the kexec. Everything is checked before the
    /// acknowledgement goes back; on an error (EPERM: a peer of another
    /// uid; EBADMSG: a malformed message; EMFILE: no room for its fds) the
    /// predecessor keeps the session.
    pub fn receive_session(&self, sock: BorrowedFd<'_>) -> Result<Session> {
        let mut raw = ptr::null_mut();
        // SAFETY: a live context and an open fd.
        check(unsafe { sys::liveupdate_session_receive(self.as_ptr(), sock.as_raw_fd(), &mut raw) })?;
        Session::from_raw(raw)
    }
}
