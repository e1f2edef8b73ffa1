//! The Linux layers, one function each: namespaces and mounts, Landlock,
//! seccomp. Only the sandbox helper calls them, in its own single-threaded
//! process, between its start and the `exec` of the command.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use super::{SandboxError, fail};

use landlock::{
    ABI, Access, AccessFs, AccessNet, BitFlags, CompatLevel, Compatible, LandlockStatus,
    PathBeneath, PathFd, Ruleset, RulesetAttr, RulesetCreatedAttr, RulesetStatus, Scope,
};
use nix::mount::{MsFlags, mount};
use nix::sched::{CloneFlags, unshare};
use nix::sys::statvfs::{FsFlags, statvfs};
use seccompiler::{
    BpfProgram, SeccompAction, SeccompCmpArgLen, SeccompCmpOp, SeccompCondition, SeccompFilter,
    SeccompRule, TargetArch,
};

/// The newest Landlock ABI whose rights this sandbox knows and asks for
/// (best effort: an older kernel enforces what it has).
const NEWEST_ABI: ABI = ABI::V9;
/// The oldest ABI that fences writes completely (`truncate(2)` is only
/// handled from ABI 3): what `required` insists on.
const FENCING_ABI: ABI = ABI::V3;

/// Enters a new user namespace (the caller's uid and gid mapped to
/// themselves) and a mount namespace whose mounts do not propagate back.
pub fn enter_user_and_mount_namespaces() -> Result<(), SandboxError> {
    let uid = nix::unistd::getuid();
    let gid = nix::unistd::getgid();
    unshare(CloneFlags::CLONE_NEWUSER)
        .map_err(|e| SandboxError(format!("unshare(CLONE_NEWUSER): {e}")))?;
    let write = |file: &str, text: String| {
        std::fs::write(file, text).map_err(|e| SandboxError(format!("writing {file}: {e}")))
    };
    write("/proc/self/setgroups", "deny".into())?;
    write("/proc/self/uid_map", format!("{uid} {uid} 1"))?;
    write("/proc/self/gid_map", format!("{gid} {gid} 1"))?;
    unshare(CloneFlags::CLONE_NEWNS)
        .map_err(|e| SandboxError(format!("unshare(CLONE_NEWNS): {e}")))?;
    mount(
        None::<&str>,
        "/",
        None::<&str>,
        MsFlags::MS_REC | MsFlags::MS_PRIVATE,
        None::<&str>,
    )
    .map_err(|e| SandboxError(format!("making mounts private: {e}")))
}

/// Enters a new network namespace and brings its loopback up: the command
/// can talk to itself on 127.0.0.1 and to nothing else.
pub fn enter_network_namespace() -> Result<(), SandboxError> {
    unshare(CloneFlags::CLONE_NEWNET)
        .map_err(|e| SandboxError(format!("unshare(CLONE_NEWNET): {e}")))?;
    loopback_up().map_err(|e| SandboxError(format!("bringing the loopback up: {e}")))
}

fn loopback_up() -> std::io::Result<()> {
    // SAFETY: plain socket(2) call; the descriptor is closed below.
    let socket = unsafe { libc::socket(libc::AF_INET, libc::SOCK_DGRAM | libc::SOCK_CLOEXEC, 0) };
    if socket < 0 {
        return Err(std::io::Error::last_os_error());
    }
    // SAFETY: ifreq is plain old data; all zeroes is a valid value.
    let mut request: libc::ifreq = unsafe { std::mem::zeroed() };
    for (slot, byte) in request.ifr_name.iter_mut().zip(b"lo\0") {
        *slot = *byte as libc::c_char;
    }
    // SAFETY: SIOCGIFFLAGS and SIOCSIFFLAGS read and write the ifreq we own,
    // whose name is NUL-terminated; the flags member is the union's
    // active field for these requests.
    let result = unsafe {
        let mut result = libc::ioctl(socket, libc::SIOCGIFFLAGS, &mut request);
        if result == 0 {
            request.ifr_ifru.ifru_flags |= (libc::IFF_UP | libc::IFF_RUNNING) as libc::c_short;
            result = libc::ioctl(socket, libc::SIOCSIFFLAGS, &request);
        }
        result
    };
    let error = std::io::Error::last_os_error();
    // SAFETY: closes the descriptor opened above, once.
    unsafe { libc::close(socket) };
    if result == 0 { Ok(()) } else { Err(error) }
}

/// Enters a new PID namespace for the children this process makes next.
pub fn enter_pid_namespace() -> Result<(), SandboxError> {
    unshare(CloneFlags::CLONE_NEWPID)
        .map_err(|e| SandboxError(format!("unshare(CLONE_NEWPID): {e}")))
}

/// Mounts a `/proc` of the current PID namespace, so the command sees its
/// own processes only (and no other process's environment).
pub fn mount_own_proc() -> Result<(), SandboxError> {
    mount(
        Some("proc"),
        "/proc",
        Some("proc"),
        MsFlags::MS_NOSUID | MsFlags::MS_NODEV | MsFlags::MS_NOEXEC,
        None::<&str>,
    )
    .map_err(|e| SandboxError(format!("mounting /proc: {e}")))
}

/// Makes `path` read-only by binding it onto itself: it can then be
/// neither changed, nor removed, nor renamed (it is a mount point).
/// A path that no longer exists, or a symlink that leads nowhere, has
/// nothing to protect (a symlink is followed: what it leads to is kept).
pub fn bind_read_only(path: &Path) -> Result<(), SandboxError> {
    if !path.exists() {
        return Ok(());
    }
    bind(path, path).map_err(|e| SandboxError(format!("{}: {e}", path.display())))
}

/// Hides `path`: an empty read-only folder over a folder, an empty
/// read-only file (`/dev/null`) over anything else. A path that no longer
/// exists has nothing to hide.
pub fn hide(path: &Path) -> Result<(), SandboxError> {
    if !path.exists() {
        return Ok(());
    }
    let result = if path.is_dir() {
        mount(
            Some("tmpfs"),
            path,
            Some("tmpfs"),
            MsFlags::MS_RDONLY | MsFlags::MS_NOSUID | MsFlags::MS_NODEV | MsFlags::MS_NOEXEC,
            Some("size=4k,mode=0555"),
        )
        .map_err(|e| SandboxError(e.to_string()))
    } else {
        bind(Path::new("/dev/null"), path)
    };
    result.map_err(|e| SandboxError(format!("{}: {e}", path.display())))
}

/// Binds `source` onto `target` read-only, keeping the flags the kernel
/// locks on the source's mount (`nosuid`, `nodev`, …).
fn bind(source: &Path, target: &Path) -> Result<(), SandboxError> {
    mount(
        Some(source),
        target,
        None::<&str>,
        MsFlags::MS_BIND,
        None::<&str>,
    )
    .map_err(|e| SandboxError(format!("bind mount: {e}")))?;
    let kept = statvfs(source)
        .map(|s| mount_flags(s.flags()))
        .map_err(|e| SandboxError(format!("statvfs: {e}")))?;
    mount(
        None::<&str>,
        target,
        None::<&str>,
        MsFlags::MS_BIND | MsFlags::MS_REMOUNT | MsFlags::MS_RDONLY | kept,
        None::<&str>,
    )
    .map_err(|e| SandboxError(format!("read-only remount: {e}")))
}

fn mount_flags(flags: FsFlags) -> MsFlags {
    let pairs = [
        (FsFlags::ST_NOSUID, MsFlags::MS_NOSUID),
        (FsFlags::ST_NODEV, MsFlags::MS_NODEV),
        (FsFlags::ST_NOEXEC, MsFlags::MS_NOEXEC),
        (FsFlags::ST_NOATIME, MsFlags::MS_NOATIME),
        (FsFlags::ST_NODIRATIME, MsFlags::MS_NODIRATIME),
        (FsFlags::ST_RELATIME, MsFlags::MS_RELATIME),
    ];
    pairs
        .iter()
        .filter(|(st, _)| flags.contains(*st))
        .fold(MsFlags::empty(), |all, (_, ms)| all | *ms)
}

/// Mounts a private, empty `/dev/shm` (POSIX shared memory and semaphores,
/// which Python's multiprocessing needs), so it can be writable without
/// being shared with the rest of the machine.
pub fn private_shm() -> Result<PathBuf, SandboxError> {
    let shm = PathBuf::from("/dev/shm");
    mount(
        Some("tmpfs"),
        &shm,
        Some("tmpfs"),
        MsFlags::MS_NOSUID | MsFlags::MS_NODEV,
        Some("mode=1777"),
    )
    .map_err(|e| SandboxError(format!("mounting a private /dev/shm: {e}")))?;
    Ok(shm)
}

/// Empties the capability bounding set and the ambient set, so the command
/// (even as uid 0 inside the namespace) gets no capability at `exec` and
/// cannot undo the mounts.
pub fn drop_capabilities() -> Result<(), SandboxError> {
    for capability in 0..64 {
        // SAFETY: prctl(PR_CAPBSET_DROP) takes an integer and touches no
        // memory of ours; EINVAL marks the end of the known capabilities.
        let result = unsafe { libc::prctl(libc::PR_CAPBSET_DROP, capability, 0, 0, 0) };
        if result != 0 {
            let error = std::io::Error::last_os_error();
            if error.raw_os_error() == Some(libc::EINVAL) {
                break;
            }
            return fail(format!("dropping capability {capability}: {error}"));
        }
    }
    // SAFETY: as above, integers only.
    let result = unsafe {
        libc::prctl(
            libc::PR_CAP_AMBIENT,
            libc::PR_CAP_AMBIENT_CLEAR_ALL,
            0,
            0,
            0,
        )
    };
    if result == 0 {
        Ok(())
    } else {
        fail(format!(
            "clearing ambient capabilities: {}",
            std::io::Error::last_os_error()
        ))
    }
}

/// Sets `no_new_privs`: nothing the command runs can gain privileges
/// (setuid programs run without them).
pub fn no_new_privileges() -> Result<(), SandboxError> {
    // SAFETY: prctl(PR_SET_NO_NEW_PRIVS, 1) takes integers only.
    let result = unsafe { libc::prctl(libc::PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) };
    if result == 0 {
        Ok(())
    } else {
        fail(format!("no_new_privs: {}", std::io::Error::last_os_error()))
    }
}

/// What Landlock was asked to do.
pub struct LandlockRules<'a> {
    /// Folders and files that may be written (and read).
    pub writable: &'a [PathBuf],
    /// Paths that may not be read, resolved.
    pub hidden: &'a [PathBuf],
    /// Also deny TCP (when no network namespace holds the command in).
    pub deny_tcp: bool,
    /// Fail unless writes are fully fenced (ABI 3 or newer).
    pub required: bool,
}

/// Restricts this process and what it runs: everything readable except
/// `hidden`, writable only `writable` and `/dev/null`, no signals to or
/// abstract sockets of processes outside, no TCP when `deny_tcp`. Returns
/// how much of it the kernel enforces.
pub fn landlock(rules: &LandlockRules<'_>) -> Result<String, SandboxError> {
    let error = |e: landlock::RulesetError| e.to_string();
    let mut ruleset = Ruleset::default();
    if rules.required {
        ruleset = ruleset
            .set_compatibility(CompatLevel::HardRequirement)
            .handle_access(AccessFs::from_all(FENCING_ABI))
            .map_err(error)?
            .set_compatibility(CompatLevel::BestEffort);
    }
    ruleset = ruleset
        .handle_access(AccessFs::from_all(NEWEST_ABI))
        .map_err(error)?
        .scope(Scope::from_all(NEWEST_ABI))
        .map_err(error)?;
    if rules.deny_tcp {
        ruleset = ruleset
            .handle_access(AccessNet::from_all(NEWEST_ABI))
            .map_err(error)?;
    }
    let mut created = ruleset.create().map_err(error)?;
    let read = AccessFs::from_read(NEWEST_ABI);
    let grants = read_grants(rules.hidden, rules.writable, read);
    let all = AccessFs::from_all(NEWEST_ABI);
    let writable = rules
        .writable
        .iter()
        .map(|path| (path.clone(), all))
        .chain(std::iter::once((PathBuf::from("/dev/null"), all)));
    for (path, access) in grants.into_iter().chain(writable) {
        let Ok(fd) = PathFd::new(&path) else {
            continue;
        };
        let access = if path.is_dir() {
            access
        } else {
            access & AccessFs::from_file(NEWEST_ABI)
        };
        created = created
            .add_rule(PathBeneath::new(fd, access))
            .map_err(error)?;
    }
    let status = created.restrict_self().map_err(error)?;
    let abi = match status.landlock {
        LandlockStatus::Available { effective_abi, .. } => effective_abi.to_string(),
        LandlockStatus::NotEnabled => "none: Landlock is not enabled at boot".into(),
        LandlockStatus::NotImplemented => "none: the kernel has no Landlock".into(),
    };
    match status.ruleset {
        RulesetStatus::FullyEnforced => Ok(format!("ABI {abi}, fully enforced")),
        RulesetStatus::PartiallyEnforced => Ok(format!(
            "ABI {abi}, enforced without the rights of later ABIs"
        )),
        RulesetStatus::NotEnforced => fail(format!("not enforced (ABI {abi})")),
    }
}

/// Read rights for the whole tree except `hidden`: `/` whole when nothing
/// is hidden; otherwise each folder on the way to a hidden path gets only
/// the right to be listed, and its other entries get read rights whole.
/// Symlinks get no rule: what they lead to is judged where it is. Hidden
/// paths inside a writable folder are left to the mount layer (a writable
/// folder must stay readable).
fn read_grants(
    hidden: &[PathBuf],
    writable: &[PathBuf],
    read: BitFlags<AccessFs>,
) -> Vec<(PathBuf, BitFlags<AccessFs>)> {
    let hidden: Vec<&PathBuf> = hidden
        .iter()
        .filter(|h| h.is_absolute() && !writable.iter().any(|w| h.starts_with(w)))
        .collect();
    let mut grants = Vec::new();
    let mut pending = vec![PathBuf::from("/")];
    while let Some(folder) = pending.pop() {
        if !hidden
            .iter()
            .any(|h| h.starts_with(&folder) && **h != folder)
        {
            grants.push((folder, read));
            continue;
        }
        grants.push((folder.clone(), BitFlags::from(AccessFs::ReadDir)));
        let Ok(entries) = std::fs::read_dir(&folder) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if hidden.iter().any(|h| **h == path) || entry.file_type().is_ok_and(|t| t.is_symlink())
            {
                continue;
            }
            pending.push(path);
        }
    }
    grants
}

/// Installs a seccomp filter that refuses (EPERM) sockets of any family
/// but `AF_UNIX`, and `AF_INET`/`AF_INET6`/`AF_NETLINK` when `inet` is
/// true, and io_uring (whose socket operations seccomp cannot see).
pub fn seccomp(inet: bool) -> Result<(), SandboxError> {
    let mut families = vec![libc::AF_UNIX];
    if inet {
        families.extend([libc::AF_INET, libc::AF_INET6, libc::AF_NETLINK]);
    }
    let other_family = || -> Result<SeccompRule, seccompiler::BackendError> {
        let conditions = families
            .iter()
            .map(|family| {
                SeccompCondition::new(
                    0,
                    SeccompCmpArgLen::Dword,
                    SeccompCmpOp::Ne,
                    u64::from(family.unsigned_abs()),
                )
            })
            .collect::<Result<Vec<_>, _>>()?;
        SeccompRule::new(conditions)
    };
    let error = |e: seccompiler::BackendError| e.to_string();
    let mut rules = BTreeMap::new();
    let mut socket_calls = vec![libc::SYS_socket, libc::SYS_socketpair];
    if cfg!(target_arch = "x86_64") {
        // The x32 ABI's numbers for the same calls, which the filter's
        // architecture check lets through.
        const X32: libc::c_long = 0x4000_0000;
        socket_calls.extend([X32 + 41, X32 + 53]);
    }
    for call in socket_calls {
        rules.insert(call, vec![other_family().map_err(error)?]);
    }
    for call in [
        libc::SYS_io_uring_setup,
        libc::SYS_io_uring_enter,
        libc::SYS_io_uring_register,
    ] {
        rules.insert(call, Vec::new());
    }
    let arch = TargetArch::try_from(std::env::consts::ARCH).map_err(error)?;
    let filter = SeccompFilter::new(
        rules,
        SeccompAction::Allow,
        SeccompAction::Errno(libc::EPERM.unsigned_abs()),
        arch,
    )
    .map_err(error)?;
    let program: BpfProgram = filter.try_into().map_err(error)?;
    seccompiler::apply_filter(&program).map_err(|e| SandboxError(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn read_grants_go_around_hidden_paths() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().canonicalize().unwrap();
        for folder in [".ssh", ".config/gcloud", ".config/other", "code"] {
            std::fs::create_dir_all(root.join(folder)).unwrap();
        }
        std::os::unix::fs::symlink(root.join(".ssh"), root.join("link")).unwrap();
        let hidden = [root.join(".ssh"), root.join(".config/gcloud")];
        let read = AccessFs::from_read(NEWEST_ABI);
        let grants = read_grants(&hidden, &[], read);
        let access = |p: &Path| grants.iter().find(|(g, _)| g == p).map(|(_, a)| *a);
        assert_eq!(access(&root), Some(BitFlags::from(AccessFs::ReadDir)));
        assert_eq!(
            access(&root.join(".config")),
            Some(BitFlags::from(AccessFs::ReadDir))
        );
        assert_eq!(access(&root.join(".config/other")), Some(read));
        assert_eq!(access(&root.join("code")), Some(read));
        assert_eq!(access(&root.join(".ssh")), None);
        assert_eq!(access(&root.join(".config/gcloud")), None);
        assert_eq!(access(&root.join("link")), None);
        assert_eq!(access(Path::new("/usr")), Some(read));
    }

    #[test]
    fn nothing_hidden_reads_everything() {
        let read = AccessFs::from_read(NEWEST_ABI);
        assert_eq!(
            read_grants(&[], &[], read),
            vec![(PathBuf::from("/"), read)]
        );
    }
}
