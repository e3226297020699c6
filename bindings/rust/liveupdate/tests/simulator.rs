//! The safe API against a private liveupdate-sim (bindings/rust/cargo-test.sh
//! starts it and sets LIBLIVEUPDATE_SIM_SOCKET): an update round trip with
//! guest-RAM-sized memory, the C ownership rules, and misuse answered with
//! errors. Run with --test-threads=1: a simulated kexec ends every session
//! of the daemon, and one process holds the device at a time.
use std::io;
use std::os::unix::io::AsFd;
use std::os::unix::net::UnixStream;
use std::thread;

use liveupdate::{
    Avail, Backend, Context, ContextOptions, Direction, EntryKind, Error, KexecOptions, MemoryBacking,
    MemoryOptions, Preserve, SessionOptions, MANIFEST_TOKEN,
};

const EINVAL: i32 = 22;
const ENOENT: i32 = 2;
const EEXIST: i32 = 17;
const ENOTTY: i32 = 25;

fn sim() -> Context {
    let opts = ContextOptions::new().backend(Backend::Simulator).quiet().log_priority(3);
    let ctx = Context::with_options(&opts).expect("the simulator answers (cargo-test.sh starts one)");
    assert_eq!(ctx.log_priority(), 3);
    ctx
}

/// A simulated kexec: load a "kernel" (the simulator takes any file),
/// reboot; outgoing sessions open now become incoming.
fn simulated_kexec(ctx: &Context) {
    let kernel = std::env::temp_dir().join(unique("kernel"));
    std::fs::write(&kernel, b"a simulated kernel").unwrap();
    ctx.kexec_load(&kernel, &KexecOptions::new().cmdline("simulated")).unwrap();
    std::fs::remove_file(&kernel).unwrap();
    ctx.kexec_reboot().unwrap();
}

/// A name no other test (and no earlier run) uses.
fn unique(what: &str) -> String {
    format!("rs-{}-{}", what, std::process::id())
}

/// The byte at `offset` of a guest RAM image: not periodic over any
/// power of two below 2^32, so a misplaced page shows.
fn pattern(seed: u64, chunk: usize) -> u64 {
    let mut x = seed ^ (chunk as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15);
    x ^= x >> 31;
    x.wrapping_mul(0xbf58_476d_1ce4_e5b9)
}

fn fill(ram: &mut [u8], seed: u64) {
    for (i, c) in ram.chunks_exact_mut(8).enumerate() {
        c.copy_from_slice(&pattern(seed, i).to_le_bytes());
    }
}

/// The first 8-byte word that differs, if any.
fn first_difference(ram: &[u8], seed: u64) -> Option<usize> {
    ram.chunks_exact(8)
        .enumerate()
        .find(|(i, c)| *c != pattern(seed, *i).to_le_bytes())
        .map(|(i, _)| i * 8)
}

fn expect_errno<T: std::fmt::Debug>(r: Result<T, Error>, errno: i32, what: &str) -> Error {
    match r {
        Ok(v) => panic!("{}: succeeded ({:?}), want errno {}", what, v, errno),
        Err(e) => {
            assert_eq!(e.errno(), errno, "{}: {}", what, e);
            assert!(!e.advice().is_empty(), "{}: no advice", what);
            e
        }
    }
}

#[test]
fn guest_ram_round_trip_by_label() {
    const RAM: u64 = 256 << 20;
    const SEED: u64 = 0x4c55_4f21;
    let ctx = sim();
    let name = unique("vm");
    let session = ctx.create_session(&name).unwrap();
    assert_eq!(session.direction(), Direction::Outgoing);
    assert_eq!(session.name().to_str(), Ok(name.as_str()));

    let mut ram = ctx
        .new_memory(&MemoryOptions::new(RAM).name("guest-ram").populate(0))
        .unwrap();
    assert_eq!(ram.size(), RAM);
    let backing = ram.backing();
    let page_size = ram.page_size();
    assert_ne!(backing, MemoryBacking::Auto);
    fill(ram.map().unwrap(), SEED);
    let token = ram
        .preserve_with(&session, &Preserve::new().label("ram").meta("slot", "0"))
        .unwrap();
    // Writes after preserving are carried over too.
    ram.map().unwrap()[RAM as usize - 8..].copy_from_slice(b"late-wr!");
    session.set_meta("vm", "rust-test").unwrap();
    let state = ctx.new_memory(&MemoryOptions::new(4096)).unwrap();
    session.preserve_fd(state.as_fd(), 7).unwrap();
    drop((ram, state));

    simulated_kexec(&ctx);
    drop(session); // its connection is gone with the simulated kexec

    let session = ctx.retrieve_session(&name).unwrap();
    assert_eq!(session.direction(), Direction::Incoming);
    assert_eq!(session.meta("vm").unwrap().to_str(), Ok("rust-test"));
    // the memfd preserved by token alone is not recorded in the manifest
    let entries = session.entries().unwrap();
    assert_eq!(entries.len(), 1, "{:?}", entries);
    let entry = session.find_entry("ram").unwrap();
    assert_eq!(entry.token(), token);
    assert_eq!(entry.kind(), EntryKind::Memory);
    assert_eq!(entry.backing(), Some(backing));
    assert_eq!(entry.page_size(), page_size);
    assert_eq!(entry.size(), RAM);
    assert_eq!(entry.meta("slot").unwrap().to_str(), Ok("0"));
    assert_eq!(entry.meta_pairs().len(), 1);

    let mut ram = session.retrieve_memory_label("ram").unwrap();
    assert_eq!((ram.size(), ram.backing()), (RAM, backing));
    let bytes = ram.map().unwrap();
    let (body, tail) = bytes.split_at(RAM as usize - 8);
    assert_eq!(first_difference(body, SEED), None, "guest RAM differs");
    assert_eq!(tail, b"late-wr!");
    let fd = session.retrieve_fd(7).unwrap();
    let small = ctx.memory_from_fd(fd).unwrap();
    assert_eq!(small.size(), 4096);

    session.finish().unwrap();
    assert!(session.is_finished());
    drop(session);
    expect_errno(ctx.retrieve_session(&name), ENOENT, "retrieve a finished session");
}

/// A session handed to a successor (a thread here; another process in a
/// VMM that restarts itself): a successor that hangs up leaves it intact;
/// the one that receives it finds its memory by label, labels more, and
/// holds it across the kexec.
#[test]
fn session_handed_over_with_its_manifest() {
    const RAM: u64 = 1 << 20;
    const SEED: u64 = 0x4841_4e44;
    let ctx = sim();
    let name = unique("handover");
    let session = ctx.create_session_with(&name, &SessionOptions::new().handover()).unwrap();
    let mut ram = ctx.new_memory(&MemoryOptions::new(RAM)).unwrap();
    fill(ram.map().unwrap(), SEED);
    ram.preserve_with(&session, &Preserve::new().label("ram")).unwrap();
    drop(ram);

    let (here, gone) = UnixStream::pair().unwrap();
    drop(gone);
    assert!(session.handover(here.as_fd()).is_err(), "a successor that hung up");
    let mut ram = session.retrieve_memory_label("ram").unwrap();
    assert_eq!(first_difference(ram.map().unwrap(), SEED), None, "after a failed handover");
    drop(ram);

    let (here, there) = UnixStream::pair().unwrap();
    let successor = thread::spawn(move || {
        let ctx = sim();
        let session = ctx.receive_session(there.as_fd()).unwrap();
        assert_eq!(session.direction(), Direction::Outgoing);
        let mut ram = session.retrieve_memory_label("ram").unwrap();
        assert_eq!(first_difference(ram.map().unwrap(), SEED), None, "in the successor");
        let state = ctx.new_memory(&MemoryOptions::new(4096)).unwrap();
        session.preserve(state.as_fd(), &Preserve::new().label("state")).unwrap();
        (ctx, session)
    });
    session.handover(here.as_fd()).unwrap();
    let (_successor_ctx, received) = successor.join().unwrap();
    expect_errno(session.set_meta("k", "v"), EINVAL, "change a session handed over");
    drop(session); // the successor holds it

    simulated_kexec(&ctx);
    drop(received);
    let session = ctx.retrieve_session(&name).unwrap();
    assert_eq!(session.entries().unwrap().len(), 2);
    let mut ram = session.retrieve_memory_label("ram").unwrap();
    assert_eq!(first_difference(ram.map().unwrap(), SEED), None, "after the kexec");
    session.find_entry("state").unwrap();
    session.finish().unwrap();
}

#[test]
fn dropping_an_outgoing_session_aborts_it() {
    let ctx = sim();
    let name = unique("abort");
    let session = ctx.create_session(&name).unwrap();
    let ram = ctx.new_memory(&MemoryOptions::new(1 << 20)).unwrap();
    ram.preserve_with(&session, &Preserve::new().label("ram")).unwrap();
    drop(session);
    // The name is free again at once, and nothing crosses the update.
    drop(ctx.create_session(&name).unwrap());
    simulated_kexec(&ctx);
    expect_errno(ctx.retrieve_session(&name), ENOENT, "an aborted session");
}

#[test]
fn dropping_an_incoming_session_finishes_it() {
    let ctx = sim();
    let name = unique("drop-in");
    let session = ctx.create_session(&name).unwrap();
    simulated_kexec(&ctx);
    drop(session);
    let incoming = ctx.retrieve_session(&name).unwrap();
    drop(incoming);
    expect_errno(ctx.retrieve_session(&name), ENOENT, "a dropped incoming session");
}

#[test]
fn session_fd_is_lent_and_adopted() {
    let ctx = sim();
    let name = unique("adopt");
    let session = ctx.create_session(&name).unwrap();
    session.set_meta("who", "creator").unwrap();
    let dup = session.as_fd().try_clone_to_owned().unwrap();
    let adopted = ctx.adopt_session(dup).unwrap();
    assert_eq!(adopted.name(), session.name());
    assert_eq!(adopted.direction(), Direction::Outgoing);
    // A memfd is no session: ENOTTY, and the fd is closed with the error.
    let ram = ctx.new_memory(&MemoryOptions::new(4096)).unwrap();
    let not_a_session = ram.as_fd().try_clone_to_owned().unwrap();
    expect_errno(ctx.adopt_session(not_a_session), ENOTTY, "adopt a memfd");
}

#[test]
fn misuse_gives_errors() {
    let ctx = sim();
    let long = "x".repeat(64);
    expect_errno(ctx.create_session(&long), EINVAL, "a 64-byte name");
    expect_errno(ctx.create_session(""), EINVAL, "an empty name");
    let e = expect_errno(ctx.create_session("a\0b"), EINVAL, "a NUL in the name");
    assert!(e.detail().contains("NUL"), "{}", e);
    expect_errno(ctx.retrieve_session(&unique("never")), ENOENT, "no such session");
    expect_errno(ctx.kexec_reboot(), EINVAL, "a kexec without a kernel loaded");
    expect_errno(ctx.kexec_load("/nonexistent/vmlinuz", &KexecOptions::new()), ENOENT, "no such kernel");
    expect_errno(
        ctx.create_session_with(&unique("size"), &SessionOptions::new().manifest_size(1000)),
        EINVAL,
        "a manifest size not a multiple of 8 KiB",
    );

    let name = unique("misuse");
    let session = ctx.create_session(&name).unwrap();
    expect_errno(ctx.create_session(&name), EEXIST, "the same name twice");
    expect_errno(session.retrieve_fd(1), EINVAL, "retrieve from an outgoing session");
    expect_errno(session.finish(), EINVAL, "finish an outgoing session");
    expect_errno(session.meta("none"), ENOENT, "a key never set");
    expect_errno(session.find_entry("none"), ENOENT, "a label never used");

    let a = ctx.new_memory(&MemoryOptions::new(4096)).unwrap();
    let b = ctx.new_memory(&MemoryOptions::new(4096)).unwrap();
    expect_errno(session.preserve_fd(a.as_fd(), MANIFEST_TOKEN), EINVAL, "the manifest's token");
    a.preserve_with(&session, &Preserve::new().label("a").token(1)).unwrap();
    expect_errno(b.preserve(&session, 1), EEXIST, "a token used twice");
    expect_errno(
        b.preserve_with(&session, &Preserve::new().label("a")),
        EEXIST,
        "a label used twice",
    );
    expect_errno(
        b.preserve_with(&session, &Preserve::new().meta("k", "1").meta("k", "2")),
        EINVAL,
        "a duplicate metadata key",
    );
    expect_errno(b.preserve_with(&session, &Preserve::new().label(&"l".repeat(128))), EINVAL, "a 128-byte label");

    expect_errno(ctx.new_memory(&MemoryOptions::new(0)), EINVAL, "zero bytes of memory");
    expect_errno(ctx.new_memory(&MemoryOptions::new(4097)), EINVAL, "a size off the page size");
    expect_errno(
        ctx.new_memory(&MemoryOptions::new(4096).name(&"n".repeat(250))),
        EINVAL,
        "a 250-byte memfd name",
    );
    // Nothing of the refused calls stayed: the session lists what was accepted.
    assert_eq!(session.entries().unwrap().len(), 1);
}

#[test]
fn errors_convert_to_io_errors() {
    let ctx = sim();
    let e = ctx.retrieve_session(&unique("io")).unwrap_err();
    let detail = e.detail().to_string();
    assert!(!detail.is_empty());
    let io: io::Error = e.into();
    assert_eq!(io.kind(), io::ErrorKind::NotFound);
    let inner = io.get_ref().and_then(|i| i.downcast_ref::<Error>()).unwrap();
    assert_eq!((inner.errno(), inner.detail()), (ENOENT, detail.as_str()));
    assert_eq!(io.to_string(), detail);
}

#[test]
fn state_and_probe_on_the_simulator() {
    let ctx = sim();
    let state = ctx.query_state().unwrap();
    assert_eq!(state.avail(), Avail::Simulated, "{:?}", state.avail_text());
    assert_eq!(state.avail_name().unwrap().to_str(), Ok("simulated"));
    assert!(state.kernel_release().is_some());
    assert!(!state.backings().is_empty());
    assert_eq!(ctx.probe_memory(MemoryBacking::Shmem, 0), Ok(true));
    expect_errno(ctx.query_state_at("/nonexistent-root"), ENOENT, "a missing root");
}

#[test]
fn a_context_is_shared_between_threads() {
    fn send_and_sync<T: Send + Sync>() {}
    fn send<T: Send>() {}
    send_and_sync::<Context>();
    send_and_sync::<liveupdate::State>();
    send::<liveupdate::Session>();
    send::<liveupdate::Memory>();
    let ctx = sim();
    let names: Vec<String> = (0..4).map(|i| unique(&format!("thread{}", i))).collect();
    let handles: Vec<_> = names
        .iter()
        .cloned()
        .map(|name| {
            let ctx = ctx.clone();
            thread::spawn(move || {
                let session = ctx.create_session(&name)?;
                let mut ram = ctx.new_memory(&MemoryOptions::new(1 << 20))?;
                ram.map()?[0] = 1;
                ram.preserve_with(&session, &Preserve::new().label("ram"))?;
                Ok::<_, Error>(session) // sessions are Send
            })
        })
        .collect();
    let sessions: Vec<_> = handles.into_iter().map(|h| h.join().unwrap().unwrap()).collect();
    for (s, name) in sessions.iter().zip(&names) {
        assert_eq!(s.name().to_str(), Ok(name.as_str()));
    }
}
