package dev.handoff.jetty.process;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.handoff.core.process.ChildProcessInstance;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * What {@link ChildPorts} leaves on disk: a real {@link WebChild} reports its port in a file; the file goes when
 * the child goes, however it goes, and the folder goes when the ports are closed. The folders are listed before and
 * after.
 */
class ChildPortFilesTest {

    private static final Duration WAIT = Duration.ofSeconds(30);

    private Children children;

    @AfterEach
    void stopEverything() throws Exception {
        if (children != null) {
            children.close();
        }
    }

    private static List<String> list(Path folder) throws IOException {
        try (Stream<Path> paths = Files.list(folder)) {
            return paths.map(path -> path.getFileName().toString()).sorted().toList();
        }
    }

    @Test
    void aChildsPortFileIsDeletedWhenTheChildIsDestroyed() throws Exception {
        children = new Children("ChildPortFilesTest");
        ChildProcessInstance child = children.start("web-1");
        assertThat(list(children.ports.folder())).containsExactly("web-1.port");

        child.destroy().toCompletableFuture().get(WAIT.toSeconds(), TimeUnit.SECONDS);

        await().atMost(WAIT).untilAsserted(() -> assertThat(list(children.ports.folder())).isEmpty());
    }

    @Test
    void aChildsPortFileIsDeletedWhenTheChildIsKilled() throws Exception {
        children = new Children("ChildPortFilesTest");
        ChildProcessInstance child = children.start("web-2");
        assertThat(list(children.ports.folder())).containsExactly("web-2.port");

        child.processHandle().destroyForcibly();

        child.onExit().toCompletableFuture().get(WAIT.toSeconds(), TimeUnit.SECONDS);
        await().atMost(WAIT).untilAsserted(() -> assertThat(list(children.ports.folder())).isEmpty());
    }

    @Test
    void closingThePortsDeletesTheirFolderWithTheFilesOfChildrenStillRunning() throws Exception {
        children = new Children("ChildPortFilesTest");
        Path folder = children.ports.folder();
        String name = folder.getFileName().toString();
        children.start("web-3");
        assertThat(list(folder.getParent())).contains(name);

        children.ports.close();

        assertThat(list(folder.getParent())).doesNotContain(name);
        children.ports.close();
    }
}
