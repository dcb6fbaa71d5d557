/* The arm64 KUnit boot's init (harness/arm64-boot.sh): power off, nothing else. */
void _start(void)
{
	register long x0 __asm__("x0") = 0xfee1dead;	/* LINUX_REBOOT_MAGIC1 */
	register long x1 __asm__("x1") = 672274793;	/* LINUX_REBOOT_MAGIC2 */
	register long x2 __asm__("x2") = 0x4321fedc;	/* LINUX_REBOOT_CMD_POWER_OFF */
	register long x8 __asm__("x8") = 142;		/* __NR_reboot */

	__asm__ volatile("svc #0" : : "r"(x0), "r"(x1), "r"(x2), "r"(x8));
	for (;;)
		;
}
