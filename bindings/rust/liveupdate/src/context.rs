//! The library context: backend, log level, the device, and the calls
//! that make sessions, memory and state snapshots.
use std::mem;
use std::os::unix::io::{AsRawFd, IntoRawFd, OwnedFd};
use std::path::{Path, PathBuf};
use std::ptr::{self, NonNull};

use liveupdate_sys as sys;

use crate::error::{c_path, c_string, check, created, opt_c_path, opt_c_string, ptr_or_null, Result};
use crate::memory::{Memory, MemoryBacking};
use crate::session::{Session, SessionOptions};
use crate::state::State;

/// Which kernel stands behind a context.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    /// The kernel, unless the environment says `LIBLIVEUPDATE_BACKEND=sim`
    /// (only as an option; a context reports what it got).
    Default,
    /// /dev/liveupdate, whatever the environment says.
    Kernel,
    /// liveupdate-sim(1), the userspace simulator.
    Simulator,
}

/// Options for [`Context::with_options`]; unset fields take the library's
/// defaults (see liveupdate_ctx_new(3)).
///
/// The log settings are options, not setters of [`Context`]: the C library
/// wants them set before other threads use the context, and a `Context`
/// can be shared from its creation on.
#[derive(Clone, Debug, Default)]
pub struct ContextOptions {
    device_path: Option<PathBuf>,
    backend: Option<Backend>,
    sim_socket: Option<PathBuf>,
    log_priority: Option<i32>,
    quiet: bool,
}

impl ContextOptions {
    /// The defaults: /dev/liveupdate, the kernel unless the environment
    /// asks for the simulator.
    pub fn new() -> ContextOptions {
        ContextOptions::default()
    }

    /// The device to open instead of /dev/liveupdate.
    pub fn device_path<P: AsRef<Path>>(mut self, path: P) -> ContextOptions {
        self.device_path = Some(path.as_ref().to_path_buf());
        self
    }

    /// The backend; production code that must never be simulated asks for
    /// [`Backend::Kernel`].
    pub fn backend(mut self, backend: Backend) -> ContextOptions {
        self.backend = Some(backend);
        self
    }

    /// The simulator's socket instead of LIBLIVEUPDATE_SIM_SOCKET or its
    /// default.
    pub fn sim_socket<P: AsRef<Path>>(mut self, path: P) -> ContextOptions {
        self.sim_socket = Some(path.as_ref().to_path_buf());
        self
    }

    /// Log messages up to this syslog priority (0 LOG_EMERG ... 7
    /// LOG_DEBUG) instead of LOG_ERR or LIBLIVEUPDATE_LOG.
    pub fn log_priority(mut self, priority: i32) -> ContextOptions {
        self.log_priority = Some(priority);
        self
    }

    /// No messages to stderr; failures still reach
    /// [`Error::detail`](crate::Error::detail).
    pub fn quiet(mut self) -> ContextOptions {
        self.quiet = true;
        self
    }
}

/// Options for [`Context::kexec_load`].
#[derive(Clone, Debug, Default)]
pub struct KexecOptions {
    initrd: Option<PathBuf>,
    cmdline: Option<String>,
}

impl KexecOptions {
    /// No initramfs, the running kernel's command line.
    pub fn new() -> KexecOptions {
        KexecOptions::default()
    }

    /// The initramfs of the next kernel.
    pub fn initrd<P: AsRef<Path>>(mut self, path: P) -> KexecOptions {
        self.initrd = Some(path.as_ref().to_path_buf());
        self
    }

    /// The next kernel's command line instead of /proc/cmdline.
    pub fn cmdline(mut self, cmdline: &str) -> KexecOptions {
        self.cmdline = Some(cmdline.to_string());
        self
    }
}

/// A libliveupdate context (`struct liveupdate_ctx`).
///
/// The C library lets threads share a context, so it is `Send` and `Sync`;
/// clones are references to the same context. Sessions and memory objects
/// hold their own reference: they may outlive the `Context` value.
#[derive(Debug)]
pub struct Context {
    raw: NonNull<sys::liveupdate_ctx>,
}

// SAFETY: liveupdate.h: "the context may be shared between threads"; its
// reference count is atomic.
unsafe impl Send for Context {}
unsafe impl Sync for Context {}

impl Context {
    /// A context with the default options: the kernel, unless the
    /// environment variable LIBLIVEUPDATE_BACKEND is `sim`.
    pub fn new() -> Result<Context> {
        Context::with_options(&ContextOptions::new())
    }

    /// A context with options. Does not open the device.
    ///
    /// ```
    /// use liveupdate::{Backend, Context, ContextOptions};
    /// # let backend = Backend::Simulator; // make check runs doctests on the simulator
    /// let ctx = Context::with_options(&ContextOptions::new().backend(backend))?;
    /// assert_eq!(ctx.backend(), backend);
    /// # Ok::<(), liveupdate::Error>(())
    /// ```
    pub fn with_options(opts: &ContextOptions) -> Result<Context> {
        let device = opt_c_path("device path", opts.device_path.as_ref())?;
        let socket = opt_c_path("simulator socket", opts.sim_socket.as_ref())?;
        // SAFETY: an all-zero option struct means "defaults".
        let mut o: sys::liveupdate_ctx_opts = unsafe { mem::zeroed() };
        o.sz = mem::size_of_val(&o);
        o.device_path = ptr_or_null(&device);
        o.sim_socket = ptr_or_null(&socket);
        o.backend = match opts.backend.unwrap_or(Backend::Default) {
            Backend::Default => sys::LIVEUPDATE_BACKEND_DEFAULT,
            Backend::Kernel => sys::LIVEUPDATE_BACKEND_KERNEL,
            Backend::Simulator => sys::LIVEUPDATE_BACKEND_SIM,
        };
        let mut raw = ptr::null_mut();
        // SAFETY: the strings live until the call returns.
        check(unsafe { sys::liveupdate_ctx_new(&o, &mut raw) })?;
        let ctx = Context {
            raw: created(raw, "liveupdate_ctx_new")?,
        };
        if opts.quiet {
            // SAFETY: a context no other thread sees yet; NULL silences it.
            unsafe { sys::liveupdate_ctx_set_log_fn(ctx.as_ptr(), None, ptr::null_mut()) }
        }
        if let Some(priority) = opts.log_priority {
            // SAFETY: a context no other thread sees yet.
            unsafe { sys::liveupdate_ctx_set_log_priority(ctx.as_ptr(), priority) }
        }
        Ok(ctx)
    }

    pub(crate) fn as_ptr(&self) -> *mut sys::liveupdate_ctx {
        self.raw.as_ptr()
    }

    /// The backend in use: [`Backend::Kernel`] or [`Backend::Simulator`].
    pub fn backend(&self) -> Backend {
        // SAFETY: a live context.
        match unsafe { sys::liveupdate_ctx_get_backend(self.as_ptr()) } {
            sys::LIVEUPDATE_BACKEND_SIM => Backend::Simulator,
            _ => Backend::Kernel,
        }
    }

    /// The device path this context opens.
    pub fn device_path(&self) -> &Path {
        use std::os::unix::ffi::OsStrExt;
        // SAFETY: a string owned by the context, never NULL for a live one.
        let s = unsafe { crate::error::text(sys::liveupdate_ctx_get_device_path(self.as_ptr())) };
        Path::new(std::ffi::OsStr::from_bytes(s.to_bytes()))
    }

    /// The highest syslog priority the library logs.
    pub fn log_priority(&self) -> i32 {
        // SAFETY: a live context.
        unsafe { sys::liveupdate_ctx_get_log_priority(self.as_ptr()) }
    }

    /// Open the device now, to learn early whether live update works here
    /// (sessions open it on demand).
    pub fn open_device(&self) -> Result<()> {
        // SAFETY: a live context.
        check(unsafe { sys::liveupdate_ctx_open_device(self.as_ptr()) }).map(drop)
    }

    /// Close the device so another process can open it; sessions keep
    /// working.
    pub fn close_device(&self) {
        // SAFETY: a live context.
        unsafe { sys::liveupdate_ctx_close_device(self.as_ptr()) }
    }

    /// Create an outgoing session with a manifest of the default size.
    pub fn create_session(&self, name: &str) -> Result<Session> {
        self.create_session_with(name, &SessionOptions::new())
    }

    /// Create an outgoing session with options.
    pub fn create_session_with(&self, name: &str, opts: &SessionOptions) -> Result<Session> {
        let name = c_string("session name", name)?;
        let o = opts.to_raw();
        let mut raw = ptr::null_mut();
        // SAFETY: valid strings and options for the duration of the call.
        check(unsafe {
            sys::liveupdate_session_create_opts(self.as_ptr(), name.as_ptr(), &o, &mut raw)
        })?;
        Session::from_raw(raw)
    }

    /// Retrieve an incoming session (handed over by the previous kernel) by
    /// name.
    pub fn retrieve_session(&self, name: &str) -> Result<Session> {
        let name = c_string("session name", name)?;
        let mut raw = ptr::null_mut();
        // SAFETY: a valid string for the duration of the call.
        check(unsafe { sys::liveupdate_session_retrieve(self.as_ptr(), name.as_ptr(), &mut raw) })?;
        Session::from_raw(raw)
    }

    /// Wrap a session fd opened by another process (an agent, systemd's fd
    /// store). The session owns the fd from then on; on failure the fd is
    /// closed with `fd`.
    pub fn adopt_session(&self, fd: OwnedFd) -> Result<Session> {
        let mut raw = ptr::null_mut();
        // SAFETY: `fd` is open; on success the session owns it.
        check(unsafe { sys::liveupdate_session_adopt(self.as_ptr(), fd.as_raw_fd(), &mut raw) })?;
        let _ = fd.into_raw_fd();
        Session::from_raw(raw)
    }

    /// Wrap a shared-memory fd (a memfd, a tmpfs or hugetlbfs file) as a
    /// [`Memory`], its backing detected. The object owns the fd; on failure
    /// the fd is closed with `fd`.
    pub fn memory_from_fd(&self, fd: OwnedFd) -> Result<Memory> {
        let mut raw = ptr::null_mut();
        // SAFETY: `fd` is open; on success the object owns it.
        check(unsafe { sys::liveupdate_memory_from_fd(self.as_ptr(), fd.as_raw_fd(), &mut raw) })?;
        let _ = fd.into_raw_fd();
        Memory::from_raw(raw)
    }

    /// Whether the running kernel can preserve memory of this backing
    /// (a throwaway session; the answer is cached in the context).
    /// `page_size` is the HugeTLB page size (0: the default), else 0.
    pub fn probe_memory(&self, backing: MemoryBacking, page_size: u64) -> Result<bool> {
        // SAFETY: a live context.
        let r = check(unsafe {
            sys::liveupdate_memory_probe(self.as_ptr(), backing.to_raw(), page_size)
        })?;
        Ok(r == 1)
    }

    /// A snapshot of this host's live update state.
    pub fn query_state(&self) -> Result<State> {
        State::query(self, None)
    }

    /// A snapshot read under `root` instead of "/" (a copy of /proc, /sys
    /// and /boot, for tests and post-mortem analysis).
    pub fn query_state_at<P: AsRef<Path>>(&self, root: P) -> Result<State> {
        State::query(self, Some(root.as_ref()))
    }

    /// Load the next kernel (kexec_file_load(2); needs CAP_SYS_BOOT).
    pub fn kexec_load<P: AsRef<Path>>(&self, kernel: P, opts: &KexecOptions) -> Result<()> {
        let kernel = c_path("kernel image", kernel.as_ref())?;
        let initrd = opt_c_path("initrd", opts.initrd.as_ref())?;
        let cmdline = opt_c_string("command line", opts.cmdline.as_ref())?;
        // SAFETY: an all-zero option struct means "defaults".
        let mut o: sys::liveupdate_kexec_opts = unsafe { mem::zeroed() };
        o.sz = mem::size_of_val(&o);
        o.initrd_path = ptr_or_null(&initrd);
        o.cmdline = ptr_or_null(&cmdline);
        // SAFETY: the strings live until the call returns.
        check(unsafe { sys::liveupdate_kexec_load(self.as_ptr(), kernel.as_ptr(), &o) }).map(drop)
    }

    /// Reboot into the loaded kernel: outgoing sessions open now are handed
    /// over. On the kernel this returns only on failure; on the simulator a
    /// simulated kexec returns `Ok` and the process goes on as if in the new
    /// kernel (its outgoing sessions are gone; retrieve them as incoming).
    pub fn kexec_reboot(&self) -> Result<()> {
        // SAFETY: a live context.
        check(unsafe { sys::liveupdate_kexec_reboot(self.as_ptr()) }).map(drop)
    }
}

impl Clone for Context {
    fn clone(&self) -> Context {
        // SAFETY: a live context; the reference count is atomic.
        unsafe { sys::liveupdate_ctx_ref(self.as_ptr()) };
        Context { raw: self.raw }
    }
}

impl Drop for Context {
    fn drop(&mut self) {
        // SAFETY: this value's reference, dropped once.
        unsafe { sys::liveupdate_ctx_unref(self.as_ptr()) };
    }
}
