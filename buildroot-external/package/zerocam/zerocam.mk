################################################################################
#
# zerocam
#
################################################################################

# Built from the checkout that holds this BR2_EXTERNAL tree. The version the image
# reports is the crate's (firmware/zerocam/Cargo.toml), recorded by post-image.sh.
ZEROCAM_VERSION = local
ZEROCAM_SITE = $(BR2_EXTERNAL_ZEROCAM_PATH)/..
ZEROCAM_SITE_METHOD = local
ZEROCAM_LICENSE = MIT or Apache-2.0
# The crate inside the Cargo workspace; cargo finds the workspace (and Cargo.lock) above.
ZEROCAM_SUBDIR = firmware/zerocam
# Build output and images of the checkout itself are not sources.
ZEROCAM_OVERRIDE_SRCDIR_RSYNC_EXCLUSIONS = \
	--exclude /target --exclude '/target-*' --exclude /out \
	--exclude /.cache --exclude /firmware/fuzz/target \
	--exclude /firmware/fuzz/corpus --exclude /firmware/fuzz/artifacts

ZEROCAM_DEPENDENCIES = host-pkgconf
ZEROCAM_CARGO_BUILD_OPTS = --bin zerocam

ifeq ($(BR2_PACKAGE_ZEROCAM_LIBCAMERA),y)
# libcamera-sys: pkg-config finds libcamera in staging, the cc crate builds its C++ shim
# with the target's g++, bindgen parses the headers with host-clang.
ZEROCAM_DEPENDENCIES += libcamera host-clang
ZEROCAM_CARGO_BUILD_OPTS += --features libcamera
ZEROCAM_CARGO_ENV = \
	PKG_CONFIG_ALLOW_CROSS=1 \
	LIBCLANG_PATH=$(HOST_DIR)/lib \
	BINDGEN_EXTRA_CLANG_ARGS="--target=$(GNU_TARGET_NAME) --sysroot=$(STAGING_DIR) \
		$(if $(BR2_TOOLCHAIN_EXTERNAL),--gcc-toolchain=$(TOOLCHAIN_EXTERNAL_INSTALL_DIR))"
endif

# Buildroot vendors a cargo package's crates when it downloads the package, which never
# happens for a local source (it is rsynced instead). So the crates are vendored here,
# before the (offline, --locked) build: "cargo vendor --locked" fetches exactly the crates
# of the committed Cargo.lock into VENDOR/ and prints the source replacement that makes
# cargo use them, which goes into the build directory's .cargo/config.toml. The download
# cache is Buildroot's cargo home in DL_DIR, so a rebuild does not fetch again. This is a
# configure-step hook, not an rsync hook: only then is host-rustc (cargo) installed.
define ZEROCAM_VENDOR_CRATES
	mkdir -p $(@D)/.cargo $(BR_CARGO_HOME)
	cd $(@D) && $(HOST_MAKE_ENV) $(PKG_COMMON_CARGO_ENV) \
		flock $(BR_CARGO_HOME)/.br-lock \
		cargo vendor --locked --manifest-path Cargo.toml VENDOR \
		> $(@D)/.cargo/config.toml
endef
ZEROCAM_PRE_CONFIGURE_HOOKS += ZEROCAM_VENDOR_CRATES

# zerocam is the init process: the kernel runs /init from an initramfs (rdinit=/init,
# board/cmdline.txt), /sbin/init from a root filesystem.
define ZEROCAM_INSTALL_TARGET_CMDS
	$(INSTALL) -D -m 0755 \
		$(@D)/target/$(RUSTC_TARGET_NAME)/$(if $(BR2_ENABLE_DEBUG),debug,release)/zerocam \
		$(TARGET_DIR)/usr/bin/zerocam
	ln -sf /usr/bin/zerocam $(TARGET_DIR)/init
	mkdir -p $(TARGET_DIR)/sbin
	ln -sf /usr/bin/zerocam $(TARGET_DIR)/sbin/init
endef

ZEROCAM_OTA_KEYRING = $(call qstrip,$(BR2_PACKAGE_ZEROCAM_OTA_KEYRING))
ifneq ($(ZEROCAM_OTA_KEYRING),)
define ZEROCAM_INSTALL_OTA_KEYRING
	$(INSTALL) -D -m 0644 $(ZEROCAM_OTA_KEYRING) \
		$(TARGET_DIR)/etc/zerocam/ota-keys.pub
endef
ZEROCAM_POST_INSTALL_TARGET_HOOKS += ZEROCAM_INSTALL_OTA_KEYRING
endif

$(eval $(cargo-package))
