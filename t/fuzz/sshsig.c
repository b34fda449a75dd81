/* Fuzz SSHSIG signatures and allowed-signers files (lib/sshsig*.c): the
 * input is an allowed-signers text and an armored signature (fuzz_split),
 * checked over a fixed message. */
#include "fuzz.h"
#include "silo/sshsig.h"

#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *signers_text, *sig;
	size_t signers_len, sig_len;
	struct silo_sshsig_signers *signers = NULL;
	char *principal = NULL;
	static const char msg[] = "{\"format\": 1}\n";

	fuzz_split(data, size, &signers_text, &signers_len, &sig, &sig_len);
	if (silo_sshsig_signers_parse(&signers, (const char *)signers_text, signers_len,
				      "fuzz_signers") < 0)
		return 0;
	if (silo_sshsig_verify(&principal, signers, SILO_SSHSIG_MEDO_NAMESPACE, msg,
			       sizeof(msg) - 1, "fuzz", (const char *)sig, sig_len,
			       "fuzz.sig") == 0)
		free(principal);
	silo_sshsig_signers_free(signers);
	return 0;
}
