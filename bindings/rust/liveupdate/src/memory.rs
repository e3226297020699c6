//! Guest memory: a shared-memory file of the largest pages this kernel can
//! preserve, mapped, populated, preserved and retrieved as one object.
use std::convert::TryFrom;
use std::ffi::CStr;
use std::mem;
use std::os::unix::io::{AsFd, AsRawFd, BorrowedFd, RawFd};
use std::path::{Path, PathBuf};
use std::ptr::{self, NonNull};

use liveupdate_sys as sys;

use crate::error::{
    c_string, check, created, opt_c_path, opt_c_string, ptr_or_null, text, Error, Result,
};
use crate::session::Session;
use crate::Context;

/// Which pages back a memory object.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MemoryBacking {
    /// (Options only) the largest pages this kernel can preserve.
    Auto,
    /// A memfd in 4 KiB pages.
    Shmem,
    /// Shmem in transparent huge pages (PMD size).
    Thp,
    /// A HugeTLB memfd.
    Hugetlb,
    /// A value this version of the bindings does not know (from a manifest
    /// written by a later library).
    Unknown(u32),
}

impl MemoryBacking {
    pub(crate) fn from_raw(raw: u32) -> MemoryBacking {
        match raw {
            sys::LIVEUPDATE_MEMORY_AUTO => MemoryBacking::Auto,
            sys::LIVEUPDATE_MEMORY_SHMEM => MemoryBacking::Shmem,
            sys::LIVEUPDATE_MEMORY_THP => MemoryBacking::Thp,
            sys::LIVEUPDATE_MEMORY_HUGETLB => MemoryBacking::Hugetlb,
            other => MemoryBacking::Unknown(other),
        }
    }

    pub(crate) fn to_raw(self) -> sys::liveupdate_memory_backing {
        match self {
            MemoryBacking::Auto => sys::LIVEUPDATE_MEMORY_AUTO,
            MemoryBacking::Shmem => sys::LIVEUPDATE_MEMORY_SHMEM,
            MemoryBacking::Thp => sys::LIVEUPDATE_MEMORY_THP,
            MemoryBacking::Hugetlb => sys::LIVEUPDATE_MEMORY_HUGETLB,
            MemoryBacking::Unknown(raw) => raw,
        }
    }

    /// Its short stable name ("shmem", "thp", ...), `None` if unknown.
    pub fn name(self) -> Option<&'static str> {
        // SAFETY: a static string or NULL.
        let s = unsafe { crate::error::opt_text(sys::liveupdate_memory_backing_name(self.to_raw())) };
        s.and_then(|s| s.to_str().ok())
    }
}

/// Options for [`Context::new_memory`]; see liveupdate_memory_new(3).
#[derive(Clone, Debug)]
pub struct MemoryOptions {
    size: u64,
    backing: MemoryBacking,
    page_size: u64,
    name: Option<String>,
    seals: u32,
    populate: bool,
    populate_threads: u32,
    tmpfs_path: Option<PathBuf>,
    host_root: Option<PathBuf>,
}

impl MemoryOptions {
    /// `size` bytes, backing chosen automatically. The size must be a
    /// multiple of the backing's page size: it is never rounded.
    pub fn new(size: u64) -> MemoryOptions {
        MemoryOptions {
            size,
            backing: MemoryBacking::Auto,
            page_size: 0,
            name: None,
            seals: 0,
            populate: false,
            populate_threads: 0,
            tmpfs_path: None,
            host_root: None,
        }
    }

    /// Insist on a backing.
    pub fn backing(mut self, backing: MemoryBacking) -> MemoryOptions {
        self.backing = backing;
        self
    }

    /// The HugeTLB page size (0: the kernel's default).
    pub fn page_size(mut self, bytes: u64) -> MemoryOptions {
        self.page_size = bytes;
        self
    }

    /// The memfd's name (shown in /proc/PID/fd).
    pub fn name(mut self, name: &str) -> MemoryOptions {
        self.name = Some(name.to_string());
        self
    }

    /// F_SEAL_* bits to add instead of the default (grow, shrink, seal).
    pub fn seals(mut self, seals: u32) -> MemoryOptions {
        self.seals = seals;
        self
    }

    /// No seal at all.
    pub fn no_seals(self) -> MemoryOptions {
        self.seals(sys::LIVEUPDATE_MEMORY_SEALS_NONE)
    }

    /// Allocate every page before returning, on `threads` threads (0: one
    /// per CPU, at most 16).
    pub fn populate(mut self, threads: u32) -> MemoryOptions {
        self.populate = true;
        self.populate_threads = threads;
        self
    }

    /// A directory on a tmpfs mounted huge=always, for THP.
    pub fn tmpfs_path<P: AsRef<Path>>(mut self, path: P) -> MemoryOptions {
        self.tmpfs_path = Some(path.as_ref().to_path_buf());
        self
    }

    /// Where /proc and /sys are read instead of "/" (tests, containers).
    pub fn host_root<P: AsRef<Path>>(mut self, path: P) -> MemoryOptions {
        self.host_root = Some(path.as_ref().to_path_buf());
        self
    }
}

impl Context {
    /// Allocate guest memory that can survive a live update.
    ///
    /// ```
    /// use liveupdate::{Backend, Context, ContextOptions, MemoryOptions};
    ///
    /// # let ctx = Context::with_options(&ContextOptions::new().backend(Backend::Simulator))?;
    /// let mut ram = ctx.new_memory(&MemoryOptions::new(2 << 20).name("guest-ram"))?;
    /// println!("{:?} because {:?}", ram.backing(), ram.reason());
    /// let bytes: &mut [u8] = ram.map()?;
    /// bytes[0] = 42;
    /// assert_eq!(ram.map()?[0], 42); // the same mapping
    /// # Ok::<(), liveupdate::Error>(())
    /// ```
    pub fn new_memory(&self, opts: &MemoryOptions) -> Result<Memory> {
        let name = opt_c_string("memory name", opts.name.as_ref())?;
        let tmpfs = opt_c_path("tmpfs path", opts.tmpfs_path.as_ref())?;
        let root = opt_c_path("host root", opts.host_root.as_ref())?;
        // SAFETY: an all-zero option struct means "defaults".
        let mut o: sys::liveupdate_memory_opts = unsafe { mem::zeroed() };
        o.sz = mem::size_of_val(&o);
        o.size = opts.size;
        o.backing = opts.backing.to_raw();
        o.page_size = opts.page_size;
        o.seals = opts.seals;
        o.name = ptr_or_null(&name);
        o.populate = opts.populate as i32;
        o.populate_threads = opts.populate_threads;
        o.tmpfs_path = ptr_or_null(&tmpfs);
        o.host_root = ptr_or_null(&root);
        let mut raw = ptr::null_mut();
        // SAFETY: the strings live until the call returns.
        check(unsafe { sys::liveupdate_memory_new(self.as_ptr(), &o, &mut raw) })?;
        Memory::from_raw(raw)
    }
}

/// Guest memory (`struct liveupdate_memory`): one shared-memory fd, its
/// backing, page size and the reason for it, and at most one mapping.
///
/// [`map`](Memory::map) lends the mapping as `&mut [u8]` borrowed from the
/// object, so it cannot outlive it (the last reference unmaps). The memory
/// is shared: what the guest, another process or another mapping of the
/// same file writes shows through it, as with any shared mapping.
///
/// The C library allows one thread at a time per object: `Memory` is
/// `Send` but not `Sync`, and not `Clone`:
///
/// ```compile_fail
/// fn shared_between_threads<T: Sync>() {}
/// shared_between_threads::<liveupdate::Memory>();
/// ```
///
/// and the mapping cannot outlive the object:
///
/// ```compile_fail
/// # use liveupdate::{Context, MemoryOptions};
/// # fn f(ctx: &Context) -> liveupdate::Result<()> {
/// let mut ram = ctx.new_memory(&MemoryOptions::new(4096))?;
/// let bytes = ram.map()?;
/// drop(ram);
/// bytes[0] = 1;
/// # Ok(()) }
/// ```
#[derive(Debug)]
pub struct Memory {
    raw: NonNull<sys::liveupdate_memory>,
}

// SAFETY: liveupdate.h: "one object must be used by one thread at a time";
// its reference counts (its own, its context's) are atomic.
unsafe impl Send for Memory {}

impl Memory {
    /// Takes over `raw`, the reference a successful call returned.
    pub(crate) fn from_raw(raw: *mut sys::liveupdate_memory) -> Result<Memory> {
        Ok(Memory {
            raw: created(raw, "a memory call")?,
        })
    }

    pub(crate) fn as_ptr(&self) -> *mut sys::liveupdate_memory {
        self.raw.as_ptr()
    }

    /// The size in bytes.
    pub fn size(&self) -> u64 {
        // SAFETY: a live object.
        unsafe { sys::liveupdate_memory_get_size(self.as_ptr()) }
    }

    /// The backing it got (never [`MemoryBacking::Auto`]).
    pub fn backing(&self) -> MemoryBacking {
        // SAFETY: a live object.
        MemoryBacking::from_raw(unsafe { sys::liveupdate_memory_get_backing(self.as_ptr()) })
    }

    /// The page size of its backing in bytes.
    pub fn page_size(&self) -> u64 {
        // SAFETY: a live object.
        unsafe { sys::liveupdate_memory_get_page_size(self.as_ptr()) }
    }

    /// The F_SEAL_* bits the file has.
    pub fn seals(&self) -> Result<u32> {
        // SAFETY: a live object.
        check(unsafe { sys::liveupdate_memory_get_seals(self.as_ptr()) }).map(|s| s as u32)
    }

    /// Why it has its backing (each step passed over, then what was taken).
    pub fn reason(&self) -> &CStr {
        // SAFETY: never NULL for a live object, lives with it.
        unsafe { text(sys::liveupdate_memory_get_reason(self.as_ptr())) }
    }

    /// The whole memory, mapped shared and read-write at an address aligned
    /// to its page size. A second call gives the same mapping.
    pub fn map(&mut self) -> Result<&mut [u8]> {
        let len = usize::try_from(self.size()).map_err(|_| {
            Error::invalid(format!("{} bytes do not fit in this address space", self.size()))
        })?;
        let mut addr = ptr::null_mut();
        // SAFETY: a live object.
        check(unsafe { sys::liveupdate_memory_map(self.as_ptr(), &mut addr) })?;
        // SAFETY: `len` bytes mapped read-write until unmap or the last
        // unref, both of which need `&mut self` or `self`, which this
        // borrow excludes.
        Ok(unsafe { std::slice::from_raw_parts_mut(addr as *mut u8, len) })
    }

    /// Remove the mapping (the contents stay in the file).
    pub fn unmap(&mut self) -> Result<()> {
        // SAFETY: no borrow of the mapping is alive (`&mut self`).
        check(unsafe { sys::liveupdate_memory_unmap(self.as_ptr()) }).map(drop)
    }

    /// Allocate every page now, on `threads` threads (0: the options' count,
    /// else one per CPU). Contents are kept.
    pub fn populate(&mut self, threads: u32) -> Result<()> {
        // SAFETY: a live object, not written through its mapping meanwhile.
        check(unsafe { sys::liveupdate_memory_populate(self.as_ptr(), threads) }).map(drop)
    }

    /// How many bytes sit in huge pages, measured.
    pub fn huge_bytes(&self) -> Result<u64> {
        let mut bytes = 0;
        // SAFETY: a live object.
        check(unsafe { sys::liveupdate_memory_huge_bytes(self.as_ptr(), &mut bytes) })?;
        Ok(bytes)
    }

    /// Preserve the memory in an outgoing session under `token`, recorded
    /// as memory (with its backing and page size) without label.
    pub fn preserve(&self, session: &Session, token: u64) -> Result<()> {
        // SAFETY: live objects.
        check(unsafe { sys::liveupdate_memory_preserve(self.as_ptr(), session.as_ptr(), token) }).map(drop)
    }
}

/// Guest memory found again in an incoming session.
impl Session {
    /// Guest memory of an incoming session, by token, its backing detected.
    pub fn retrieve_memory(&self, token: u64) -> Result<Memory> {
        let mut raw = ptr::null_mut();
        // SAFETY: a live session.
        check(unsafe { sys::liveupdate_memory_retrieve(self.as_ptr(), token, &mut raw) })?;
        Memory::from_raw(raw)
    }

    /// Guest memory of an incoming session, by manifest label, with the
    /// backing and page size the manifest recorded.
    pub fn retrieve_memory_label(&self, label: &str) -> Result<Memory> {
        let label = c_string("label", label)?;
        let mut raw = ptr::null_mut();
        // SAFETY: a live session and a valid string.
        check(unsafe { sys::liveupdate_memory_retrieve_label(self.as_ptr(), label.as_ptr(), &mut raw) })?;
        Memory::from_raw(raw)
    }
}

impl AsFd for Memory {
    fn as_fd(&self) -> BorrowedFd<'_> {
        // SAFETY: the object owns this open fd for as long as it lives.
        unsafe { BorrowedFd::borrow_raw(sys::liveupdate_memory_get_fd(self.as_ptr())) }
    }
}

impl AsRawFd for Memory {
    fn as_raw_fd(&self) -> RawFd {
        self.as_fd().as_raw_fd()
    }
}

impl Drop for Memory {
    /// Unmaps and closes the fd; the memory lives on while a session
    /// preserves it.
    fn drop(&mut self) {
        // SAFETY: this value's reference, dropped once.
        unsafe { sys::liveupdate_memory_unref(self.as_ptr()) };
    }
}
