################################################################################
#
# zerocam
#
################################################################################

# Built from this checkout (the repository holding buildroot-external/).
ZEROCAM_VERSION = local
ZEROCAM_SITE = $(BR2_EXTERNAL_ZEROCAM_PATH)/..
ZEROCAM_SITE_METHOD = local
ZEROCAM_LICENSE = MIT or Apache-2.0
# The crate inside the Cargo workspace.
ZEROCAM_SUBDIR = firmware/zerocam

# The cargo-package infrastructure vendors the crates.io dependencies (Cargo.lock) at
# download time and builds offline with Buildroot's Rust for the target (for the
# Zero: arm-unknown-linux-gnueabihf, ARMv6 with VFP, Buildroot's own toolchain).
ZEROCAM_CARGO_BUILD_OPTS = --bin zerocam

define ZEROCAM_INSTALL_TARGET_CMDS
	$(INSTALL) -D -m 0755 $(@D)/target/$(RUSTC_TARGET_NAME)/release/zerocam \
		$(TARGET_DIR)/usr/bin/zerocam
	# zerocam is the init process: the kernel runs /init from an initramfs, /sbin/init
	# from a root filesystem.
	ln -sf usr/bin/zerocam $(TARGET_DIR)/init
	mkdir -p $(TARGET_DIR)/sbin
	ln -sf ../usr/bin/zerocam $(TARGET_DIR)/sbin/init
	$(INSTALL) -D -m 0644 $(ZEROCAM_PKGDIR)/modules $(TARGET_DIR)/etc/modules
endef

$(eval $(cargo-package))
