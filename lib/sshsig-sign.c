/*
 * Signing a file with ssh-keygen -Y sign, so that every key OpenSSH can
 * use works: agents, encrypted keys (ssh-keygen asks on the terminal),
 * FIDO keys (it asks for a touch).
 *
 * ssh-keygen signs a copy in a private temporary directory: given the
 * file itself it would write FILE.sig in place, not atomically, and ask
 * before replacing one; given the data on standard input it would read
 * a passphrase from there too.  Its signature is checked against the
 * file and only then written to its place, atomically.
 */
#include "silo/sshsig.h"
#include "sshsig-internal.h"
#include "error-internal.h"
#include "fsutil.h"

#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define SIGN_MAX_BYTES (64 * 1024 * 1024)
#define SIG_MAX_BYTES (1024 * 1024)

extern char **environ;

/* Run ssh-keygen to sign FILE with KEY, writing FILE.sig. */
static int run_ssh_keygen(const char *key, const char *namespace, const char *file,
			  const char *shown)
{
	char *const argv[] = {
		"ssh-keygen", "-q", "-Y", "sign", "-f", (char *)key, "-n", (char *)namespace,
		(char *)file, NULL
	};
	pid_t pid;
	int err, status;

	err = posix_spawnp(&pid, "ssh-keygen", NULL, NULL, argv, environ);
	if (err) {
		errno = err;
		return silo__error_errno("cannot run 'ssh-keygen'");
	}
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return silo__error_errno("cannot wait for 'ssh-keygen'");
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return 0;
	if (WIFEXITED(status))
		return silo__error_set(SILO_ERROR,
			"ssh-keygen could not sign '%s' with key '%s' (exit status %d)",
			shown, key, WEXITSTATUS(status));
	return silo__error_set(SILO_ERROR, "ssh-keygen signing '%s' was killed by signal %d",
			       shown, WTERMSIG(status));
}

static int write_new(const char *path, const void *data, size_t len)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600), ret;

	if (fd < 0)
		return silo__error_errno("cannot create '%s'", path);
	ret = fs_write_all(fd, data, len, path);
	if (close(fd) < 0 && !ret)
		ret = silo__error_errno("cannot write '%s'", path);
	return ret;
}

int silo_sshsig_sign_file(const char *path, const char *key, const char *namespace,
			  const char *sig_path)
{
	const char *tmp_root = getenv("TMPDIR");
	char *data = NULL, *again = NULL, *sig = NULL, *dir = NULL, *copy = NULL,
	     *copy_sig = NULL;
	size_t len, again_len, sig_len;
	struct stat st;
	int ret;

	if (stat(key, &st) < 0)
		return silo__error_errno("cannot open key '%s'", key);
	if ((ret = fs_read_file(&data, &len, path, SIGN_MAX_BYTES)) < 0)
		return ret;
	if (!tmp_root || !*tmp_root)
		tmp_root = "/tmp";
	if (!(dir = fs_join(tmp_root, "silo-sign-XXXXXX"))) {
		ret = silo__error_oom();
		goto out;
	}
	if (!mkdtemp(dir)) {
		ret = silo__error_errno("cannot create a temporary directory in '%s'", tmp_root);
		free(dir);
		dir = NULL;
		goto out;
	}
	if (!(copy = fs_join(dir, "data")) || !(copy_sig = fs_join(dir, "data.sig"))) {
		ret = silo__error_oom();
		goto out;
	}
	if ((ret = write_new(copy, data, len)) < 0 ||
	    (ret = run_ssh_keygen(key, namespace, copy, path)) < 0)
		goto out;
	if ((ret = fs_read_file(&sig, &sig_len, copy_sig, SIG_MAX_BYTES)) < 0)
		goto out;
	if ((ret = fs_read_file(&again, &again_len, path, SIGN_MAX_BYTES)) < 0)
		goto out;
	if (again_len != len || memcmp(again, data, len)) {
		ret = silo__error_set(SILO_ERROR, "'%s' changed while it was signed", path);
		goto out;
	}
	if ((ret = sshsig_check_own(sig, sig_len, sig_path, namespace, data, len, path)) < 0) {
		ret = silo__error_wrap("ssh-keygen wrote a signature medo refuses");
		goto out;
	}
	ret = fs_write_file_atomic(sig_path, sig, sig_len);
out:
	if (copy_sig)
		unlink(copy_sig);
	if (copy)
		unlink(copy);
	if (dir)
		rmdir(dir);
	free(copy_sig);
	free(copy);
	free(dir);
	free(sig);
	free(again);
	free(data);
	return ret;
}
