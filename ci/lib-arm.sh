# Shared by ci/build-arm and ci/test-arm: the cargo settings for the Pi Zero (ARM1176JZF-S,
# ARMv6). Sourced, not run. Everything is passed through the environment / --config, so a
# plain `cargo build` on the host is untouched.

ARM_TARGET=arm-unknown-linux-gnueabi
# The env-var spelling of the target, for CARGO_TARGET_<TRIPLE>_*.
ARM_TARGET_ENV=ARM_UNKNOWN_LINUX_GNUEABI
REPO_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
ARM_TARGET_DIR=${ARM_TARGET_DIR:-$REPO_ROOT/target-arm}
# shellcheck source=ci/lib-apt.sh
source "$REPO_ROOT/ci/lib-apt.sh"

arm_prepare_host() {
    # Debian's armel toolchain: ARMv5TE/Thumb-1 code and libraries, safe on the ARMv6 Zero
    # (armhf would be ARMv7 and die with SIGILL on the board).
    ensure_packages gcc-arm-linux-gnueabi libc6-dev-armel-cross binutils-arm-linux-gnueabi
    ensure_rust_src
}

# Exports what cargo needs to build for the Zero with std rebuilt from rust-src.
arm_export_cargo_env() {
    # There is no prebuilt std for this target in rustup: -Zbuild-std rebuilds it. Stable
    # accepts the flag with RUSTC_BOOTSTRAP=1 (nightly works too, without it).
    export RUSTC_BOOTSTRAP=1
    export CARGO_TARGET_DIR=$ARM_TARGET_DIR
    export "CARGO_TARGET_${ARM_TARGET_ENV}_LINKER=arm-linux-gnueabi-gcc"
    # Static: the initramfs holds no libc. arm1176jzf-s lets LLVM use the ARMv6 instructions
    # (ldrex/strex for atomics instead of kernel helpers) while staying off ARMv7.
    export "CARGO_TARGET_${ARM_TARGET_ENV}_RUSTFLAGS=-C target-feature=+crt-static"
    export CC_arm_unknown_linux_gnueabi=arm-linux-gnueabi-gcc
    export AR_arm_unknown_linux_gnueabi=arm-linux-gnueabi-ar
}

ARM_BUILD_STD_ARGS=(-Zbuild-std=std,panic_abort --target "$ARM_TARGET")

# check_armv6 FILE: fails unless the ELF says ARMv6 and carries no Thumb-2 / ARMv7 code.
check_armv6() {
    local file=$1 attributes
    attributes=$(arm-linux-gnueabi-readelf -A "$file")
    if ! grep -q 'Tag_CPU_arch: v6' <<<"$attributes"; then
        echo "ci: $file is not ARMv6:" >&2
        echo "$attributes" >&2
        return 1
    fi
    if grep -Eq 'Tag_THUMB_ISA_use: Thumb-2|Tag_CPU_arch: v7|Tag_CPU_arch_profile: Application' <<<"$attributes"; then
        echo "ci: $file contains Thumb-2 / ARMv7 code, the Zero cannot run it:" >&2
        echo "$attributes" >&2
        return 1
    fi
    echo "ci: $file: $(grep -E 'Tag_CPU_arch:|Tag_THUMB_ISA_use' <<<"$attributes" | tr -s ' ' | paste -sd ';')" >&2
}
