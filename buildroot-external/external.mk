include $(sort $(wildcard $(BR2_EXTERNAL_ZEROCAM_PATH)/package/*/*.mk))
