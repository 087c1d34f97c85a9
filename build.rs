//! Records the Rust target the binary is built for, so that `--version` names
//! it: with binaries for three architectures, "which one is this?" is the
//! first question when a container says "exec format error".

fn main() {
    let target = std::env::var("TARGET").expect("cargo sets TARGET for build scripts");
    println!("cargo:rustc-env=WAITFOR_TARGET={target}");
    println!("cargo:rerun-if-changed=build.rs");
    // The x86_64 musl build links with the fast path's functions in this order (scripts/lld-gcc).
    println!("cargo:rerun-if-changed=scripts/fast-path.order");
}
