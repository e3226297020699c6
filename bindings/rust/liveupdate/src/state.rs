//! State queries: can this host live update (and if not, why and the fix),
//! did this boot come from one, what the previous kernel handed over.
use std::ffi::CStr;
use std::mem;
use std::path::Path;
use std::ptr::{self, NonNull};

use liveupdate_sys as sys;

use crate::error::{check, created, opt_c_path, opt_text, ptr_or_null, text, Result};
use crate::memory::MemoryBacking;
use crate::Context;

/// Whether a live update is possible here, or the first reason it is not.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Avail {
    /// The device opened: sessions can be created.
    Yes,
    /// The simulator answered: sessions work, nothing survives a reboot.
    Simulated,
    /// The kernel is older than 6.19.
    KernelTooOld,
    /// The kernel was built without CONFIG_LIVEUPDATE.
    NoConfig,
    /// Kexec HandOver is off.
    KhoDisabled,
    /// The kernel was not booted with liveupdate=on.
    NoCmdline,
    /// Another process holds the device ([`State::holder`]).
    Busy,
    /// The device node's mode forbids opening it.
    Permission,
    /// No device, for a reason the library could not tell.
    NoDevice,
    /// The device exists but opening it failed otherwise.
    DeviceError,
    /// A value this version of the bindings does not know.
    Unknown(u32),
}

/// How this kernel was started.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Boot {
    /// debugfs could not be read ([`State::missing`] of [`Fact::Boot`]).
    Unknown,
    /// A cold boot (or a kexec without handover).
    Cold,
    /// A kexec in which the previous kernel handed state over.
    LiveUpdate,
}

/// A fact of a [`State`], to ask where it came from or why it is missing.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fact {
    /// Availability.
    Avail,
    /// The running kernel's release.
    KernelRelease,
    /// Cold boot or live update.
    Boot,
    /// The previous kernel's release.
    PreviousRelease,
    /// Kexecs since the last cold boot.
    KexecCount,
    /// Live updates since the last cold boot.
    LiveupdateCount,
    /// The Live Update Orchestrator's ABI string.
    LuoAbi,
    /// The handover tree this kernel received.
    KhoIn,
    /// The handover tree this kernel will hand over.
    KhoOut,
    /// The shmem THP policy.
    ShmemThp,
    /// The huge tmpfs for guest memory.
    HugeTmpfs,
    /// The HugeTLB pools.
    Hugetlb,
    /// Which memory backings the kernel preserves.
    Backings,
}

impl Fact {
    fn to_raw(self) -> sys::liveupdate_fact {
        match self {
            Fact::Avail => sys::LIVEUPDATE_FACT_AVAIL,
            Fact::KernelRelease => sys::LIVEUPDATE_FACT_KERNEL_RELEASE,
            Fact::Boot => sys::LIVEUPDATE_FACT_BOOT,
            Fact::PreviousRelease => sys::LIVEUPDATE_FACT_PREVIOUS_RELEASE,
            Fact::KexecCount => sys::LIVEUPDATE_FACT_KEXEC_COUNT,
            Fact::LiveupdateCount => sys::LIVEUPDATE_FACT_LIVEUPDATE_COUNT,
            Fact::LuoAbi => sys::LIVEUPDATE_FACT_LUO_ABI,
            Fact::KhoIn => sys::LIVEUPDATE_FACT_KHO_IN,
            Fact::KhoOut => sys::LIVEUPDATE_FACT_KHO_OUT,
            Fact::ShmemThp => sys::LIVEUPDATE_FACT_SHMEM_THP,
            Fact::HugeTmpfs => sys::LIVEUPDATE_FACT_HUGE_TMPFS,
            Fact::Hugetlb => sys::LIVEUPDATE_FACT_HUGETLB,
            Fact::Backings => sys::LIVEUPDATE_FACT_BACKINGS,
        }
    }
}

/// Whether the kernel preserves one backing ([`State::backings`]).
#[derive(Clone, Copy, Debug)]
pub struct BackingSupport<'a> {
    /// The backing.
    pub backing: MemoryBacking,
    /// Its page size in bytes.
    pub page_size: u64,
    /// `Some(true)` preservable, `Some(false)` not, `None` unknown (not
    /// probed, or the probe failed).
    pub preservable: Option<bool>,
    /// Unless preservable: why not, or why it is unknown.
    pub why: Option<&'a CStr>,
}

/// A snapshot of this host's live update state (`struct liveupdate_state`),
/// taken by [`Context::query_state`]; it never changes afterwards.
///
/// ```
/// use liveupdate::{Avail, Backend, Context, ContextOptions};
///
/// # let ctx = Context::with_options(&ContextOptions::new().backend(Backend::Simulator))?;
/// let state = ctx.query_state()?;
/// if !matches!(state.avail(), Avail::Yes | Avail::Simulated) {
///     eprintln!("no live update here: {:?}", state.avail_text());
/// }
/// # assert_eq!(state.avail(), Avail::Simulated);
/// # Ok::<(), liveupdate::Error>(())
/// ```
#[derive(Debug)]
pub struct State {
    raw: NonNull<sys::liveupdate_state>,
}

// SAFETY: the snapshot is immutable after the query (liveupdate.h: "it
// never changes afterwards"), its getters only read it, and its reference
// count is atomic.
unsafe impl Send for State {}
unsafe impl Sync for State {}

impl State {
    pub(crate) fn query(ctx: &Context, root: Option<&Path>) -> Result<State> {
        let root = opt_c_path("state root", root)?;
        // SAFETY: an all-zero option struct means "defaults".
        let mut o: sys::liveupdate_state_opts = unsafe { mem::zeroed() };
        o.sz = mem::size_of_val(&o);
        o.root = ptr_or_null(&root);
        let mut raw = ptr::null_mut();
        // SAFETY: the root string lives until the call returns.
        check(unsafe { sys::liveupdate_state_query(ctx.as_ptr(), &o, &mut raw) })?;
        Ok(State {
            raw: created(raw, "liveupdate_state_query")?,
        })
    }

    fn as_ptr(&self) -> *const sys::liveupdate_state {
        self.raw.as_ptr()
    }

    /// Whether a live update is possible here.
    pub fn avail(&self) -> Avail {
        // SAFETY: a live state.
        match unsafe { sys::liveupdate_state_get_avail(self.as_ptr()) } {
            sys::LIVEUPDATE_AVAIL_YES => Avail::Yes,
            sys::LIVEUPDATE_AVAIL_SIMULATED => Avail::Simulated,
            sys::LIVEUPDATE_AVAIL_KERNEL_TOO_OLD => Avail::KernelTooOld,
            sys::LIVEUPDATE_AVAIL_NO_CONFIG => Avail::NoConfig,
            sys::LIVEUPDATE_AVAIL_KHO_DISABLED => Avail::KhoDisabled,
            sys::LIVEUPDATE_AVAIL_NO_CMDLINE => Avail::NoCmdline,
            sys::LIVEUPDATE_AVAIL_BUSY => Avail::Busy,
            sys::LIVEUPDATE_AVAIL_PERMISSION => Avail::Permission,
            sys::LIVEUPDATE_AVAIL_NO_DEVICE => Avail::NoDevice,
            sys::LIVEUPDATE_AVAIL_DEVICE_ERROR => Avail::DeviceError,
            other => Avail::Unknown(other),
        }
    }

    /// The availability as a sentence, with the fix when it is not possible.
    pub fn avail_text(&self) -> &CStr {
        // SAFETY: never NULL for a live state.
        unsafe { text(sys::liveupdate_state_get_avail_text(self.as_ptr())) }
    }

    /// The availability's short stable name ("available", "busy", ...).
    pub fn avail_name(&self) -> Option<&'static CStr> {
        // SAFETY: a static string or NULL.
        unsafe {
            opt_text(sys::liveupdate_avail_name(sys::liveupdate_state_get_avail(
                self.as_ptr(),
            )))
        }
    }

    /// The process holding the device when [`Avail::Busy`]: pid and
    /// command name.
    pub fn holder(&self) -> Option<(i32, Option<&CStr>)> {
        // SAFETY: a live state.
        let pid = unsafe { sys::liveupdate_state_get_holder_pid(self.as_ptr()) };
        if pid < 0 {
            return None;
        }
        // SAFETY: NULL or a string living with the state.
        Some((pid, unsafe { opt_text(sys::liveupdate_state_get_holder_comm(self.as_ptr())) }))
    }

    /// Cold boot or after a live update.
    pub fn boot(&self) -> Boot {
        // SAFETY: a live state.
        match unsafe { sys::liveupdate_state_get_boot(self.as_ptr()) } {
            sys::LIVEUPDATE_BOOT_COLD => Boot::Cold,
            sys::LIVEUPDATE_BOOT_LIVE_UPDATE => Boot::LiveUpdate,
            _ => Boot::Unknown,
        }
    }

    /// The running kernel's release.
    pub fn kernel_release(&self) -> Option<&CStr> {
        // SAFETY: NULL or a string living with the state.
        unsafe { opt_text(sys::liveupdate_state_get_kernel_release(self.as_ptr())) }
    }

    /// After a live update, the release of the kernel that handed over.
    pub fn previous_release(&self) -> Option<&CStr> {
        // SAFETY: NULL or a string living with the state.
        unsafe { opt_text(sys::liveupdate_state_get_previous_release(self.as_ptr())) }
    }

    /// Kexecs with handover since the last cold boot, when known.
    pub fn kexec_count(&self) -> Option<i64> {
        // SAFETY: a live state.
        known(unsafe { sys::liveupdate_state_get_kexec_count(self.as_ptr()) })
    }

    /// Live updates since the last cold boot, when known.
    pub fn liveupdate_count(&self) -> Option<i64> {
        // SAFETY: a live state.
        known(unsafe { sys::liveupdate_state_get_liveupdate_count(self.as_ptr()) })
    }

    /// The Live Update Orchestrator's ABI string ("luo-v5").
    pub fn luo_abi(&self) -> Option<&CStr> {
        // SAFETY: NULL or a string living with the state.
        unsafe { opt_text(sys::liveupdate_state_get_luo_abi(self.as_ptr())) }
    }

    /// Where a fact was read from, when it is known.
    pub fn source(&self, fact: Fact) -> Option<&CStr> {
        // SAFETY: NULL or a string living with the state.
        unsafe { opt_text(sys::liveupdate_state_get_source(self.as_ptr(), fact.to_raw())) }
    }

    /// Why a fact is unknown, naming the file and what to do.
    pub fn missing(&self, fact: Fact) -> Option<&CStr> {
        // SAFETY: NULL or a string living with the state.
        unsafe { opt_text(sys::liveupdate_state_get_missing(self.as_ptr(), fact.to_raw())) }
    }

    /// Which memory backings the kernel preserves: SHMEM first, then THP,
    /// then HUGETLB per pool size.
    pub fn backings(&self) -> Vec<BackingSupport<'_>> {
        let mut list = Vec::new();
        for index in 0u32.. {
            let (mut backing, mut page_size, mut why) = (0, 0, ptr::null());
            // SAFETY: a live state; `why` lives with it.
            let r = unsafe {
                sys::liveupdate_state_get_backing(self.as_ptr(), index, &mut backing, &mut page_size, &mut why)
            };
            let preservable = match r {
                1 => Some(true),
                0 => Some(false),
                r if r == -(crate::error::ENOENT) => break,
                // -ENODATA, the only other failure for a live state
                _ => None,
            };
            list.push(BackingSupport {
                backing: MemoryBacking::from_raw(backing),
                page_size,
                preservable,
                // SAFETY: NULL or a string living with the state.
                why: unsafe { opt_text(why) },
            });
        }
        list
    }
}

/// A count, or `None` for the negative errno of an unknown one.
fn known(count: i64) -> Option<i64> {
    if count < 0 {
        None
    } else {
        Some(count)
    }
}

impl Clone for State {
    fn clone(&self) -> State {
        // SAFETY: a live state; the reference count is atomic.
        unsafe { sys::liveupdate_state_ref(self.raw.as_ptr()) };
        State { raw: self.raw }
    }
}

impl Drop for State {
    fn drop(&mut self) {
        // SAFETY: this value's reference, dropped once.
        unsafe { sys::liveupdate_state_unref(self.raw.as_ptr()) };
    }
}
