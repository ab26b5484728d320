// SPDX-License-Identifier: GPL-2.0
/*
 * ptscope lab: sharing (M9 working set, M10 shared code, M11 copy-on-write,
 * M12 standby list).
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lab.h"

#define RW	(PROT_READ | PROT_WRITE)

/* A leaf that stands for memory the process uses (not the zero page,
 * not a special or device mapping). */
static bool counts_as_memory(const struct ptscope_leaf *l)
{
	return (l->flags & PTSCOPE_F_PRESENT) && (l->flags & PTSCOPE_F_PFN_VALID) &&
	       !(l->flags & (PTSCOPE_F_ZERO_PAGE | PTSCOPE_F_SPECIAL | PTSCOPE_F_DEVMAP));
}

static uint64_t leaf_pages(const struct ptscope_leaf *l)
{
	return pts_level_size(l->level) / LAB_PAGE * (l->count ? l->count : 1);
}

/* ---- M9: working set = private + shareable ------------------------------ */

struct ws_count {
	uint64_t priv, shared;		/* 4K pages */
	uint64_t priv_shareable;	/* file/shmem pages mapped once */
};

static void ws_add(struct ws_count *w, const struct ptscope_leaf *l,
		   const struct ptscope_vma *v)
{
	uint64_t n = leaf_pages(l);

	if (!counts_as_memory(l))
		return;
	if (l->mapcount >= 2) {
		w->shared += n;
	} else {
		w->priv += n;
		if (v && (v->backing == PTSCOPE_BACK_FILE || v->backing == PTSCOPE_BACK_SHMEM ||
			  (v->flags & PTSCOPE_VMA_SHARED)) && !(l->flags & PTSCOPE_F_ANON_PAGE))
			w->priv_shareable += n;
	}
}

static bool close_kb(long long a, long long b)
{
	long long d = a > b ? a - b : b - a;

	return d <= 16 || d * 50 <= (a > b ? a : b);	/* 16 kB or 2% */
}

static int run_m9(struct lab_ctx *c)
{
	enum { NA = 16, NF = 8 };
	struct ws_count all = { 0 }, anon = { 0 }, f1 = { 0 }, f2 = { 0 };
	long long rss, pc, pd, sc, sd, pss, ranon, rfile, rshmem;
	long long walk_priv, walk_shared, walk_rss, smaps_priv, smaps_shared;
	uint64_t a_anon, a_f1, b_f1, a_f2;
	struct lab_child a, b;
	struct lab_walk w;
	int fd1, fd2, ret = -1;
	bool agree;
	size_t i;

	memset(&w, 0, sizeof(w));
	memset(&b, 0, sizeof(b));
	b.to = b.from = -1;
	fd1 = lab_tmpfile(c, NF * LAB_PAGE, true, NULL, 0);
	fd2 = lab_tmpfile(c, NF * LAB_PAGE, true, NULL, 0);
	if (fd1 < 0 || fd2 < 0)
		goto out_fd;
	if (lab_child_start(c, &a) || lab_child_start(c, &b))
		goto out;
	lab_step(c, "Child A wrote %d pages of private anonymous memory; A and child B mapped "
		 "the same %d-page file shared, A wrote it and B read it; A alone read a second "
		 "%d-page file (mapped privately).", NA, NF, NF);
	a_anon = lab_c_anon(c, &a, NA * LAB_PAGE, LAB_PAGE, MADV_NOHUGEPAGE);
	a_f1 = lab_c_mmap(c, &a, 0, NF * LAB_PAGE, RW, MAP_SHARED, fd1, 0);
	b_f1 = lab_c_mmap(c, &b, 0, NF * LAB_PAGE, RW, MAP_SHARED, fd1, 0);
	a_f2 = lab_c_mmap(c, &a, 0, NF * LAB_PAGE, PROT_READ, MAP_PRIVATE, fd2, 0);
	if (!a_anon || !a_f1 || !b_f1 || !a_f2 ||
	    lab_c_touch(c, &a, a_anon, NA, LAB_PAGE, LAB_WRITE, 1) < 0 ||
	    lab_c_touch(c, &a, a_f1, NF, LAB_PAGE, LAB_WRITE, 1) < 0 ||
	    lab_c_touch(c, &b, b_f1, NF, LAB_PAGE, LAB_READ, 0) < 0 ||
	    lab_c_touch(c, &a, a_f2, NF, LAB_PAGE, LAB_READ, 0) < 0)
		goto out;
	lab_step(c, "Walked all of A with ptscope and split its resident pages by the map "
		 "count of their frames (1: private, 2 or more: shared); compared with the "
		 "kernel's /proc/A/smaps_rollup and /proc/A/status.");
	if (lab_walk(c, a.pid, 0, 0, &w))
		goto out;
	for (i = 0; i < w.nleaves; i++) {
		const struct ptscope_leaf *l = &w.leaves[i];
		const struct ptscope_vma *v = lab_walk_vma(&w, l->va);

		ws_add(&all, l, v);
		if (l->va >= a_anon && l->va < a_anon + NA * LAB_PAGE)
			ws_add(&anon, l, v);
		else if (l->va >= a_f1 && l->va < a_f1 + NF * LAB_PAGE)
			ws_add(&f1, l, v);
		else if (l->va >= a_f2 && l->va < a_f2 + NF * LAB_PAGE)
			ws_add(&f2, l, v);
	}
	rss = lab_proc_kb(a.pid, "smaps_rollup", "Rss");
	pss = lab_proc_kb(a.pid, "smaps_rollup", "Pss");
	pc = lab_proc_kb(a.pid, "smaps_rollup", "Private_Clean");
	pd = lab_proc_kb(a.pid, "smaps_rollup", "Private_Dirty");
	sc = lab_proc_kb(a.pid, "smaps_rollup", "Shared_Clean");
	sd = lab_proc_kb(a.pid, "smaps_rollup", "Shared_Dirty");
	ranon = lab_proc_kb(a.pid, "status", "RssAnon");
	rfile = lab_proc_kb(a.pid, "status", "RssFile");
	rshmem = lab_proc_kb(a.pid, "status", "RssShmem");
	walk_priv = all.priv * 4;
	walk_shared = all.shared * 4;
	walk_rss = walk_priv + walk_shared;
	smaps_priv = pc + pd;
	smaps_shared = sc + sd;
	agree = rss >= 0 && close_kb(walk_rss, rss) && close_kb(walk_priv, smaps_priv) &&
		close_kb(walk_shared, smaps_shared);

	lab_ev_int(c, "walk_private_kb", walk_priv);
	lab_ev_int(c, "walk_shared_kb", walk_shared);
	lab_ev_int(c, "walk_rss_kb", walk_rss);
	lab_ev_int(c, "walk_private_but_shareable_kb", all.priv_shareable * 4);
	lab_ev_int(c, "smaps_rss_kb", rss);
	lab_ev_int(c, "smaps_pss_kb", pss);
	lab_ev_int(c, "smaps_private_kb", smaps_priv);
	lab_ev_int(c, "smaps_shared_kb", smaps_shared);
	lab_ev_int(c, "status_rss_anon_kb", ranon);
	lab_ev_int(c, "status_rss_file_kb", rfile);
	lab_ev_int(c, "status_rss_shmem_kb", rshmem);
	lab_ev_int(c, "lab_anon_private_pages", anon.priv);
	lab_ev_int(c, "lab_shared_file_shared_pages", f1.shared);
	lab_ev_int(c, "lab_own_file_private_pages", f2.priv);
	lab_ev_bool(c, "agree_with_smaps", agree);
	lab_note(c, "ptscope: %lld kB private (map count 1) + %lld kB shared (2 or more) = "
		 "%lld kB resident", walk_priv, walk_shared, walk_rss);
	lab_note(c, "kernel: Rss %lld kB = Private %lld kB + Shared %lld kB (smaps_rollup); "
		 "Pss %lld kB; RssAnon %lld + RssFile %lld + RssShmem %lld kB (status): %s",
		 rss, smaps_priv, smaps_shared, pss, ranon, rfile, rshmem,
		 agree ? "the same split" : "they DIFFER");
	lab_note(c, "the lab's pages: %llu anonymous pages private; %llu pages of the file "
		 "shared with B shared; %llu pages of the file only A maps private -- "
		 "shareable, but counted private while nobody else maps them",
		 (unsigned long long)anon.priv, (unsigned long long)f1.shared,
		 (unsigned long long)f2.priv);

	lab_summary(c, "%lld kB = %lld private + %lld shared (smaps: %lld = %lld + %lld)",
		    walk_rss, walk_priv, walk_shared, rss, smaps_priv, smaps_shared);
	if (!agree)
		lab_verdict(c, LAB_V_NOT, "The resident set did not split into private and "
			    "shared parts that match the kernel's own accounting.");
	else if (all.priv_shareable)
		lab_verdict(c, LAB_V_DIFF, "The resident set (RSS) is private + shared, as the "
			    "model's working set is private + shareable; the kernel splits it the "
			    "same way in smaps, and by kind (anon + file + shmem) in status. But "
			    "'shared' means mapped by two or more processes right now (the "
			    "frame's map count), not 'could be shared': a file page only this "
			    "process maps counts as private (%llu kB here), and a page shared "
			    "with others counts in full in each RSS (Pss divides it instead).",
			    (unsigned long long)all.priv_shareable * 4);
	else
		lab_verdict(c, LAB_V_HOLDS, "The resident set is exactly private + shared "
			    "pages, as the kernel reports them.");
	ret = 0;
out:
	lab_walk_free(&w);
	lab_child_stop(&a);
	lab_child_stop(&b);
out_fd:
	if (fd1 >= 0)
		close(fd1);
	if (fd2 >= 0)
		close(fd2);
	return ret;
}

/* ---- M10: shared code --------------------------------------------------- */

/* A freshly exec'ed "sleep", once it sleeps; 0 or -1. */
static int spawn_sleeper(struct lab_ctx *c, pid_t *out)
{
	char self[256], exe[256], path[64], buf[512];
	ssize_t n;
	pid_t pid;
	int i;

	n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	self[n > 0 ? n : 0] = '\0';
	fflush(stdout);
	pid = fork();
	if (pid < 0)
		return lab_fail(c, "fork: %s", strerror(errno));
	if (pid == 0) {
		int fd = open("/dev/null", O_RDWR);

		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (fd >= 0) {
			dup2(fd, 0);
			dup2(fd, 1);
			dup2(fd, 2);
		}
		signal(SIGINT, SIG_DFL);
		signal(SIGTERM, SIG_DFL);
		execlp("sleep", "sleep", "600", (char *)NULL);
		_exit(127);
	}
	lab_track_pid(pid);
	*out = pid;
	snprintf(path, sizeof(path), "/proc/%d/exe", pid);
	for (i = 0; i < 200; i++) {
		n = readlink(path, exe, sizeof(exe) - 1);
		exe[n > 0 ? n : 0] = '\0';
		if (n > 0 && strcmp(exe, self)) {
			char st[64];

			snprintf(st, sizeof(st), "/proc/%d/stat", pid);
			if (!lab_read_str(st, buf, sizeof(buf))) {
				char *p = strrchr(buf, ')');

				if (p && p[1] == ' ' && p[2] == 'S')
					return 0;
			}
		}
		usleep(25000);
	}
	return lab_fail(c, "sleep did not start");
}

static void stop_pid(pid_t pid)
{
	if (pid > 0) {
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		lab_untrack_pid(pid);
	}
}

struct fpage {
	uint64_t ino, pgoff, pfn;
};

/* File pages mapped by a walk: (inode, page offset) -> frame. */
static size_t file_pages(const struct lab_walk *w, struct fpage **out)
{
	size_t i, n = 0, cap = 0;
	struct fpage *v = NULL;

	for (i = 0; i < w->nleaves; i++) {
		const struct ptscope_leaf *l = &w->leaves[i];
		const struct ptscope_vma *vma = lab_walk_vma(w, l->va);
		uint64_t k, np = leaf_pages(l);

		if (!vma || !vma->ino || !(l->flags & PTSCOPE_F_FILE_PAGE) ||
		    !counts_as_memory(l))
			continue;
		for (k = 0; k < np; k++) {
			if (n == cap) {
				struct fpage *nv;

				cap = cap ? 2 * cap : 256;
				nv = realloc(v, cap * sizeof(*v));
				if (!nv) {
					free(v);
					*out = NULL;
					return 0;
				}
				v = nv;
			}
			v[n].ino = vma->ino;
			v[n].pgoff = vma->pgoff + (l->va - vma->start) / LAB_PAGE + k;
			v[n].pfn = l->pfn + k;
			n++;
		}
	}
	*out = v;
	return n;
}

static int run_m10(struct lab_ctx *c)
{
	enum { N = 32 };
	struct lab_page pa[N], pb[N], pw[1];
	struct lab_child a, b;
	struct lab_walk w1, w2;
	struct fpage *s1 = NULL, *s2 = NULL;
	pid_t sl1 = 0, sl2 = 0;
	char exe[256];
	uint64_t ma, mb, mw;
	size_t same = 0, both = 0, common = 0, common_same = 0, n1, n2, i, j;
	uint32_t mc_min = UINT32_MAX;
	struct stat st;
	int fa, fb, ret = -1;
	ssize_t n;
	size_t np;

	memset(&w1, 0, sizeof(w1));
	memset(&w2, 0, sizeof(w2));
	memset(&b, 0, sizeof(b));
	b.to = b.from = -1;
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	exe[n > 0 ? n : 0] = '\0';
	if (stat(exe, &st))
		return lab_cannot(c, "cannot stat this program (%s)", exe);
	np = (size_t)st.st_size / LAB_PAGE < N ? (size_t)st.st_size / LAB_PAGE : N;
	if (lab_child_start(c, &a) || lab_child_start(c, &b))
		goto out;
	lab_step(c, "Children A and B each opened %s themselves, mapped its first %zu pages "
		 "read+execute (like code) and read every page.", exe, np);
	fa = lab_c_open(c, &a, exe, O_RDONLY);
	fb = lab_c_open(c, &b, exe, O_RDONLY);
	if (fa < 0 || fb < 0)
		goto out;
	ma = lab_c_mmap(c, &a, 0, np * LAB_PAGE, PROT_READ | PROT_EXEC, MAP_PRIVATE, fa, 0);
	mb = lab_c_mmap(c, &b, 0, np * LAB_PAGE, PROT_READ | PROT_EXEC, MAP_PRIVATE, fb, 0);
	if (!ma || !mb || lab_c_touch(c, &a, ma, np, LAB_PAGE, LAB_READ, 0) < 0 ||
	    lab_c_touch(c, &b, mb, np, LAB_PAGE, LAB_READ, 0) < 0 ||
	    lab_pages(c, a.pid, ma, np, pa, NULL) || lab_pages(c, b.pid, mb, np, pb, NULL))
		goto out;
	for (i = 0; i < np; i++) {
		if (!pa[i].present || !pb[i].present)
			continue;
		both++;
		same += pa[i].pfn == pb[i].pfn;
		if (pa[i].mapcount < mc_min)
			mc_min = pa[i].mapcount;
	}
	lab_step(c, "A also mapped the file's first page privately writable and wrote it "
		 "(as the loader does to a data page).");
	mw = lab_c_mmap(c, &a, 0, LAB_PAGE, RW, MAP_PRIVATE, fa, 0);
	if (!mw || lab_c_touch(c, &a, mw, 1, LAB_PAGE, LAB_WRITE, 0x5a) < 0 ||
	    lab_pages(c, a.pid, mw, 1, pw, NULL))
		goto out;
	lab_step(c, "Started two separate runs of /bin/sleep (fork + exec: nothing inherited) "
		 "and compared the frames of every file page both map (same inode, same "
		 "offset).");
	if (spawn_sleeper(c, &sl1) || spawn_sleeper(c, &sl2) ||
	    lab_walk(c, sl1, 0, 0, &w1) || lab_walk(c, sl2, 0, 0, &w2))
		goto out;
	n1 = file_pages(&w1, &s1);
	n2 = file_pages(&w2, &s2);
	for (i = 0; i < n1; i++)
		for (j = 0; j < n2; j++)
			if (s1[i].ino == s2[j].ino && s1[i].pgoff == s2[j].pgoff) {
				common++;
				common_same += s1[i].pfn == s2[j].pfn;
				break;
			}

	lab_ev_str(c, "file", exe);
	lab_ev_int(c, "pages_in_both", both);
	lab_ev_int(c, "same_frame", same);
	lab_ev_int(c, "min_mapcount", mc_min == UINT32_MAX ? 0 : mc_min);
	lab_ev_hex(c, "first_page_frame_a", pa[0].pfn);
	lab_ev_hex(c, "first_page_frame_b", pb[0].pfn);
	lab_ev_hex(c, "written_private_copy_frame", pw[0].pfn);
	lab_ev_int(c, "sleep_file_pages_a", n1);
	lab_ev_int(c, "sleep_file_pages_b", n2);
	lab_ev_int(c, "sleep_common_file_pages", common);
	lab_ev_int(c, "sleep_common_same_frame", common_same);
	lab_note(c, "%zu pages mapped by A and B: %zu have the same frame in both (page 0: "
		 "0x%llx and 0x%llx), map count at least %u", both, same,
		 (unsigned long long)pa[0].pfn, (unsigned long long)pb[0].pfn,
		 mc_min == UINT32_MAX ? 0 : mc_min);
	lab_note(c, "A's written private copy of page 0 is frame 0x%llx (%s): a write "
		 "un-shares a private file page", (unsigned long long)pw[0].pfn,
		 pw[0].pfn == pa[0].pfn ? "the SAME frame" : "a new frame, anonymous");
	lab_note(c, "two runs of sleep: %zu and %zu resident file pages, %zu in common, %zu "
		 "of them on the same frame", n1, n2, common, common_same);

	lab_summary(c, "%zu/%zu code pages on the same frame; sleep x2: %zu/%zu", same, both,
		    common_same, common);
	if (!both || !common)
		lab_fail(c, "nothing to compare: no page resident in both");
	else if (same == both && common_same == common)
		lab_verdict(c, LAB_V_HOLDS, "A file page sits once in memory, in the page cache, "
			    "and every process that maps it -- the same program run twice, the "
			    "same library -- maps that one frame (its map count counts them). "
			    "Only a private page that is written gets its own copy (copy-on-write: "
			    "relocated data, not code).");
	else if (same * 10 >= both * 9 && common_same * 10 >= common * 9)
		lab_verdict(c, LAB_V_DIFF, "Most shared file pages map the same frame; a few did "
			    "not (written private pages, or pages reclaimed and read again in "
			    "between).");
	else
		lab_verdict(c, LAB_V_NOT, "Processes mapping the same file did not share its "
			    "frames.");
	ret = c->status == LAB_ERROR ? -1 : 0;
out:
	free(s1);
	free(s2);
	lab_walk_free(&w1);
	lab_walk_free(&w2);
	stop_pid(sl1);
	stop_pid(sl2);
	lab_child_stop(&a);
	lab_child_stop(&b);
	return ret;
}

/* ---- M11: copy-on-write -------------------------------------------------- */

static int run_m11(struct lab_ctx *c)
{
	enum { N = 16, H = 8 };
	struct lab_page p0[N], pa[N], pg[N], pa2[N], pg2[N], pa3[N];
	struct lab_faults g0, g1, a0, a1, dg, da;
	struct lab_child a, g;
	uint64_t r;
	size_t same_fork = 0, ro_fork = 0, new_g = 0, rw_g = 0, still = 0, reuse_a = 0,
	       copy_a = 0, i;
	char b1[128], b2[128];
	bool shared_ok, cow_ok;
	int ret = -1;

	memset(&g, 0, sizeof(g));
	g.to = g.from = -1;
	if (lab_child_start2(c, &a, &g))
		return -1;
	lab_step(c, "Child A wrote %d pages of private anonymous memory; walked.", N);
	r = lab_c_anon(c, &a, N * LAB_PAGE, LAB_PAGE, MADV_NOHUGEPAGE);
	if (!r)
		goto out;
	lab_trace_follow(c, &a);
	if (lab_c_touch(c, &a, r, N, LAB_PAGE, LAB_WRITE, 1) < 0 ||
	    lab_pages(c, a.pid, r, N, p0, NULL))
		goto out;
	lab_trace_step(c, NULL, "A wrote pages 0-%d", N - 1);
	/*
	 * No step: after the fork both write their own data and stack pages
	 * again (child.c), as every child does at start, untraced.
	 */
	lab_trace_follow(c, NULL);
	lab_step(c, "A forked G; walked both.");
	if (lab_c_fork(c, &a, &g) || lab_pages(c, a.pid, r, N, pa, NULL) ||
	    lab_pages(c, g.pid, r, N, pg, NULL))
		goto out;
	for (i = 0; i < N; i++) {
		same_fork += pa[i].present && pg[i].present && pa[i].pfn == pg[i].pfn &&
			     pa[i].pfn == p0[i].pfn;
		ro_fork += !(pa[i].flags & PTSCOPE_F_RW) && !(pg[i].flags & PTSCOPE_F_RW);
	}
	lab_step(c, "G wrote pages 0-%d; walked both; counted G's faults.", H - 1);
	lab_trace_follow(c, &g);
	if (lab_faults(c, &g, &g0) ||
	    lab_c_touch(c, &g, r, H, LAB_PAGE, LAB_WRITE, 2) < 0 ||
	    lab_faults(c, &g, &g1) || lab_pages(c, g.pid, r, N, pg2, NULL) ||
	    lab_pages(c, a.pid, r, N, pa2, NULL))
		goto out;
	lab_trace_step(c, "g_faults", "G wrote pages 0-%d", H - 1);
	for (i = 0; i < H; i++) {
		new_g += pg2[i].present && pg2[i].pfn != p0[i].pfn;
		rw_g += !!(pg2[i].flags & PTSCOPE_F_RW);
	}
	for (i = H; i < N; i++)
		still += pg2[i].pfn == p0[i].pfn && !(pg2[i].flags & PTSCOPE_F_RW);
	lab_step(c, "A wrote all %d pages; walked; counted A's faults.", N);
	lab_trace_follow(c, &a);
	if (lab_faults(c, &a, &a0) ||
	    lab_c_touch(c, &a, r, N, LAB_PAGE, LAB_WRITE, 3) < 0 ||
	    lab_faults(c, &a, &a1) || lab_pages(c, a.pid, r, N, pa3, NULL))
		goto out;
	lab_trace_step(c, "a_faults", "A wrote pages 0-%d again, after G", N - 1);
	for (i = 0; i < H; i++)
		reuse_a += pa3[i].pfn == p0[i].pfn && (pa3[i].flags & PTSCOPE_F_RW);
	for (i = H; i < N; i++)
		copy_a += pa3[i].pfn != p0[i].pfn && (pa3[i].flags & PTSCOPE_F_RW);
	lab_faults_sub(&g1, &g0, &dg);
	lab_faults_sub(&a1, &a0, &da);

	shared_ok = same_fork == N && ro_fork == N;
	cow_ok = new_g == H && rw_g == H && still == N - H;
	lab_ev_int(c, "pages", N);
	lab_ev_int(c, "same_frame_after_fork", same_fork);
	lab_ev_int(c, "read_only_in_both_after_fork", ro_fork);
	lab_ev_int(c, "mapcount_after_fork", pa[0].mapcount);
	lab_ev(c, "entry_a_after_fork", cli_json_flags(pa[0].flags & ~PTSCOPE_F_PFN_VALID));
	lab_ev_int(c, "g_new_frames", new_g);
	lab_ev_int(c, "g_writable", rw_g);
	lab_ev_int(c, "g_unwritten_still_shared", still);
	lab_ev(c, "g_faults", lab_faults_json(&dg));
	lab_ev_int(c, "a_reused_without_copy", reuse_a);
	lab_ev_int(c, "a_copied", copy_a);
	lab_ev(c, "a_faults", lab_faults_json(&da));
	lab_ev_hex(c, "frame_before", p0[0].pfn);
	lab_ev_hex(c, "frame_g_after_write", pg2[0].pfn);
	lab_ev_hex(c, "frame_a_after_write", pa3[0].pfn);
	lab_note(c, "after fork: %zu of %d pages map the same frame in A and G, %zu are "
		 "read-only in both (map count %u; A's page 0 was frame 0x%llx, writable)",
		 same_fork, N, ro_fork, pa[0].mapcount, (unsigned long long)p0[0].pfn);
	lab_note(c, "G wrote %d pages: %s; %zu got new frames (page 0: 0x%llx), %zu are "
		 "writable; the %d it did not write still share A's frames read-only: %zu",
		 H, lab_faults_str(&dg, b1, sizeof(b1)), new_g, (unsigned long long)pg2[0].pfn,
		 rw_g, N - H, still);
	lab_note(c, "A wrote all %d: %s; the %d pages G had copied were reused in place "
		 "(same frame, made writable, no copy): %zu; the %d still shared were copied: "
		 "%zu", N, lab_faults_str(&da, b2, sizeof(b2)), H, reuse_a, N - H, copy_a);

	lab_summary(c, "fork: %zu/%d shared read-only; write: %zu copied, %zu reused", same_fork,
		    N, new_g + copy_a, reuse_a);
	if (!shared_ok || !cow_ok)
		lab_verdict(c, LAB_V_NOT, "After fork the pages were not shared read-only and "
			    "copied on write as described: see the counts.");
	else if (reuse_a)
		lab_verdict(c, LAB_V_DIFF, "fork() copies no memory: both processes map the same "
			    "frames with the write bit cleared in both tables (map count 2). The "
			    "first write from either side faults (a protection fault) and the "
			    "writer gets a private copy with write permission. The difference: a "
			    "process that is the last one mapping a frame does not copy it -- the "
			    "fault just makes its entry writable again (%zu pages of A here).",
			    reuse_a);
	else
		lab_verdict(c, LAB_V_HOLDS, "After fork both map the same frames read-only; each "
			    "first write gives the writer a private copy with write permission.");
	ret = 0;
out:
	lab_child_stop(&g);
	lab_child_stop(&a);
	return ret;
}

/* ---- M12: the standby list ---------------------------------------------- */

static int run_m12(struct lab_ctx *c)
{
	enum { N = 32 };
	struct lab_page pa[N], pb[N];
	struct lab_faults a0, a1, b0, b1, da, db;
	struct lab_child a, b;
	char path[256], s1[128], s2[128];
	uint64_t ma, mb;
	long before, during, after;
	size_t same = 0, i, present_a, present_b;
	bool cold;
	int fd, ret = -1;

	memset(&b, 0, sizeof(b));
	b.to = b.from = -1;
	fd = lab_cold_file(c, N * LAB_PAGE, path, sizeof(path));
	cold = fd >= 0;
	if (!cold)
		fd = lab_tmpfile(c, N * LAB_PAGE, true, path, sizeof(path));
	if (fd < 0)
		return -1;
	before = lab_cached_pages(fd, N * LAB_PAGE);
	if (lab_child_start(c, &a))
		goto out;
	lab_step(c, "Took %s, %s (%ld of its first %d pages in the page cache).", path,
		 cold ? "a file whose pages were dropped from the page cache" :
		 "a scratch file (no file outside the page cache was found)", before, N);
	lab_step(c, "Child A mapped it and read %d pages; walked (frames); counted faults.", N);
	ma = lab_c_mmap(c, &a, 0, N * LAB_PAGE, PROT_READ, MAP_PRIVATE, fd, 0);
	if (!ma || lab_faults(c, &a, &a0) ||
	    lab_c_touch(c, &a, ma, N, LAB_PAGE, LAB_READ, 0) < 0 ||
	    lab_faults(c, &a, &a1) || lab_pages(c, a.pid, ma, N, pa, NULL))
		goto out;
	during = lab_cached_pages(fd, N * LAB_PAGE);
	lab_step(c, "A exited; counted the file's pages in the page cache (mincore).");
	if (lab_c_exit(c, &a))
		goto out;
	after = lab_cached_pages(fd, N * LAB_PAGE);
	lab_step(c, "A new child B mapped the file and read the same pages; walked; counted "
		 "faults.");
	if (lab_child_start(c, &b))
		goto out;
	mb = lab_c_mmap(c, &b, 0, N * LAB_PAGE, PROT_READ, MAP_PRIVATE, fd, 0);
	if (!mb || lab_faults(c, &b, &b0) ||
	    lab_c_touch(c, &b, mb, N, LAB_PAGE, LAB_READ, 0) < 0 ||
	    lab_faults(c, &b, &b1) || lab_pages(c, b.pid, mb, N, pb, NULL))
		goto out;
	lab_faults_sub(&a1, &a0, &da);
	lab_faults_sub(&b1, &b0, &db);
	present_a = lab_count_present(pa, N);
	present_b = lab_count_present(pb, N);
	for (i = 0; i < N; i++)
		same += pa[i].present && pb[i].present && pa[i].pfn == pb[i].pfn;

	lab_ev_str(c, "file", path);
	lab_ev_bool(c, "cold_at_start", cold && before == 0);
	lab_ev_int(c, "cached_before", before);
	lab_ev_int(c, "cached_while_mapped", during);
	lab_ev_int(c, "cached_after_exit", after);
	lab_ev(c, "faults_first", lab_faults_json(&da));
	lab_ev(c, "faults_second", lab_faults_json(&db));
	lab_ev_int(c, "same_frames", same);
	lab_ev_int(c, "pages", N);
	lab_ev_hex(c, "frame_page0_first", pa[0].pfn);
	lab_ev_hex(c, "frame_page0_second", pb[0].pfn);
	lab_note(c, "first process: %s; %zu pages mapped (page 0 at frame 0x%llx); %ld pages "
		 "cached", lab_faults_str(&da, s1, sizeof(s1)), present_a,
		 (unsigned long long)pa[0].pfn, during);
	lab_note(c, "after it exited: %ld of the %d pages are still in the page cache, mapped "
		 "by nobody", after, N);
	lab_note(c, "second process: %s; %zu pages mapped, %zu on the same frames as before "
		 "(page 0 at 0x%llx)", lab_faults_str(&db, s2, sizeof(s2)), present_b, same,
		 (unsigned long long)pb[0].pfn);

	lab_summary(c, "%zu/%d same frames after exit; majors %lld then %lld", same, N,
		    da.v[PTSCOPE_FC_MAJOR], db.v[PTSCOPE_FC_MAJOR]);
	if (same * 10 >= (size_t)N * 9 && db.v[PTSCOPE_FC_MAJOR] == 0)
		lab_verdict(c, LAB_V_DIFF, "Clean file pages outlive the process: there is no "
			    "separate standby list, the pages simply stay in the page cache (on "
			    "the LRU lists, counted as 'Cached'), and the next process to map the "
			    "file gets the very same frames with minor faults only, no I/O%s "
			    "(fault-around maps up to 16 cached pages per fault, so fewer faults "
			    "than pages). They are reclaimed only under memory pressure, oldest "
			    "first.", cold && da.v[PTSCOPE_FC_MAJOR] ? ", where the first reader "
			    "took major faults" : "");
	else if (db.v[PTSCOPE_FC_MAJOR] == 0)
		lab_verdict(c, LAB_V_DIFF, "The second process took no major fault, but only %zu "
			    "of %d pages came back on the same frames.", same, N);
	else
		lab_verdict(c, LAB_V_NOT, "The pages had to be read again after the process "
			    "exited (%lld major faults).", db.v[PTSCOPE_FC_MAJOR]);
	ret = 0;
out:
	lab_child_stop(&a);
	lab_child_stop(&b);
	close(fd);
	return ret;
}

/* ---- the labs ------------------------------------------------------------- */

const struct lab lab_m9 = {
	.id = "m9", .name = "working-set",
	.aliases = (const char *const[]){ "rss", "private-shared", NULL },
	.claim = "Working set = private working set + shareable working set.",
	.questions = (const char *const[]){
		"Will ptscope's private + shared pages add up to the kernel's Rss "
		  "of the process?",
		"A page of a file that only this process maps: counted private or "
		  "shared?",
		NULL,
	},
	.run = run_m9,
};

const struct lab lab_m10 = {
	.id = "m10", .name = "shared-code",
	.aliases = (const char *const[]){ "shared-libraries", "shared-text", NULL },
	.claim = "Code shared by several processes (an .exe, DLLs) sits once in physical "
		 "memory.",
	.questions = (const char *const[]){
		"Two processes open and map the same 32 pages of a program file, "
		  "each on its own: how many of the frames will they have in common?",
		"One of them maps the first page privately writable and writes it: "
		  "same frame as before, or a new one?",
		NULL,
	},
	.run = run_m10,
};

const struct lab lab_m11 = {
	.id = "m11", .name = "cow",
	.aliases = (const char *const[]){ "copy-on-write", "fork", NULL },
	.claim = "Copy-on-write: shared pages become private when written.",
	.questions = (const char *const[]){
		"Right after fork, will parent and child map the same frames, and "
		  "will their entries be writable?",
		"The child writes 8 of the 16 pages: how many new frames, and in "
		  "whose tables?",
		"The parent then writes all 16: how many of its pages will be "
		  "copied?",
		NULL,
	},
	.run = run_m11,
};

const struct lab lab_m12 = {
	.id = "m12", .name = "standby-list",
	.aliases = (const char *const[]){ "page-cache", "standby", NULL },
	.claim = "When a process exits, its clean pages move to a standby list and can be "
		 "reused without disk I/O.",
	.questions = (const char *const[]){
		"Process A reads 32 pages of a file and exits: will the pages still "
		  "be in memory afterwards?",
		"Process B then reads the same pages: major or minor faults, and on "
		  "which frames?",
		NULL,
	},
	.run = run_m12,
};
