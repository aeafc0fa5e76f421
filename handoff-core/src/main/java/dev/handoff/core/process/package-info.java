/**
 * Instances as real processes: {@link dev.handoff.core.process.ChildProcessLauncher} starts child JVMs and
 * drives them through the {@link dev.handoff.core.process.ChildAgent} they embed; and
 * {@link dev.handoff.core.process.GracefulTermination} plays the instance's half of the contract on SIGTERM when
 * a platform such as Kubernetes orchestrates.
 *
 * <h2>The control channel</h2>
 * A Unix domain socket ({@code AF_UNIX}, stream) that the parent binds in a fresh folder of mode 0700 under
 * {@code java.io.tmpdir}, so that nothing on the network can reach it and no other user can enter the folder.
 * The child finds the path in {@code HANDOFF_AGENT_SOCKET} and a random 256-bit token in
 * {@code HANDOFF_AGENT_TOKEN}; the parent compares the token in constant time, accepts exactly one connection,
 * then deletes the socket and its folder. The child's standard input, output and error stay the application's
 * (a socket was chosen over stdin/stdout so that nothing the application prints can corrupt the protocol, and so
 * that standard input stays free, e.g. for an inherited listening socket).
 *
 * <h2>Protocol, version 1</h2>
 * Lines of UTF-8 ending in {@code \n} (a {@code \r} before it is dropped), at most 1024 bytes, no control
 * characters. Free text (reasons) is cut to 400 characters on one line.
 * <pre>
 * handshake   child:  HELLO 1 &lt;token&gt; [budget-ms=&lt;n&gt;]   (the child's termination budget, when it has one)
 *             parent: WELCOME 1                  (or ERROR &lt;reason&gt; and the channel closes)
 * commands    parent: STOP_ACCEPTING | RESUME_ACCEPTING | DRAIN | FORCE_STOP | STATUS? | EXIT
 *                     [epoch=&lt;n&gt;] [swap=&lt;id&gt;]   (the epoch under a state directory; the swap's id while one runs,
 *                                                 which the child puts in its MDC, handoff.swap, while it acts)
 * replies     child:  STATUS in-flight=&lt;n&gt; state=&lt;STATE&gt;   (FORCE_STOP adds abandoned=&lt;n&gt;)
 *                     ERROR &lt;reason&gt;                       (the command was refused or malformed)
 * events      child:  READY                     the lifecycle became READY (once)
 *                     DRAINED                   the drain asked by DRAIN completed
 *                     FAILED &lt;reason&gt;           the lifecycle failed (once)
 * </pre>
 * The child answers every line it receives, except an ERROR, with exactly one reply, in order, so the parent
 * matches replies to commands by their order. A side that receives a malformed, over-long, unknown or
 * unexpected line (a second READY or FAILED, a DRAINED nobody asked for, a STATUS nobody waits for) logs it and
 * answers {@code ERROR <reason>}, and carries on; an ERROR is never answered, so two confused peers cannot loop.
 * After {@code EXIT} the child replies and calls {@code System.exit(0)}. When the channel closes without an EXIT,
 * the child exits by itself: its parent is gone.
 *
 * <h2>Under a state directory: epochs and adoption</h2>
 * A child launched by an orchestrator with a state directory learns the orchestrator's epoch from its environment,
 * and every command that orchestrator sends carries it ({@code STOP_ACCEPTING epoch=3}). The child refuses, with
 * {@code ERROR stale epoch ...}, {@code ERROR unknown epoch ...} or {@code ERROR ... carries no epoch ...}, any
 * command whose epoch is not the one it follows, and does not act on it. Such a child also listens on an adoption
 * socket in its private folder of the state directory; a restarted orchestrator connects there and says
 * {@code ADOPT 1 <token> <epoch> <pid>}: with a higher epoch than the one the child follows, the child answers
 * {@code ADOPTED 1 <pid> in-flight=<n> state=<STATE>}, closes the older orchestrator's channel and follows the new
 * epoch; with the same or a lower one it answers {@code ERROR stale epoch ...}. A child without a state directory
 * takes commands without an epoch only.
 *
 * <h2>Limits: the channel never blocks the orchestrator</h2>
 * The parent never writes to a child on the caller's thread: each child's lines are queued (at most 1,024) and
 * written by a thread of its own, so a command returns at once and no lock is held across a write. A line not
 * written within {@link dev.handoff.core.process.ChildProcessLauncher.Builder#writeTimeout(java.time.Duration)}
 * means the child stopped reading: it is disconnected and fails
 * ({@link dev.handoff.core.process.ChildProcessInstance#failure()}). A line the parent rejects, and an ERROR that
 * answers no command, is unsolicited: a child that sends more than 100 of them in a burst, or more than 100 a second
 * sustained, or a line running past 64 KiB without a terminator, floods, and is disconnected and failed too. At most
 * 10 rejected lines a second per child are answered with ERROR and logged; the rest are counted, and the count is
 * logged once a second. No log line, exception or ERROR quotes the HELLO line, which carries the token.
 *
 * <h2>Temporary files</h2>
 * The socket's folder is deleted once the child connected, when the child ends before that, when this JVM shuts
 * down, and by the child's agent when it finds the socket dead (its parent was killed before it connected).
 * {@link dev.handoff.core.process.ChildProcessLauncher.Builder#afterExit} lets an integrator delete what a child
 * leaves on disk once its process has exited.
 *
 * <h2>Process exits</h2>
 * The parent watches each child with {@link java.lang.Process#onExit()}: an exit nobody asked for fails the
 * instance at once with a {@link dev.handoff.core.process.ChildProcessExitedException} carrying the exit code.
 * A destroy asks EXIT, then sends SIGTERM, then SIGKILL, each after a bounded wait. A shutdown hook destroys every
 * live child when the parent JVM exits.
 */
package dev.handoff.core.process;
