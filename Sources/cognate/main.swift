import CognateWeb
import Foundation
import NIOCore
import NIOPosix

// Swift concurrency's tasks run on SwiftNIO's event loops, so a request's async handler runs on
// the loop that read it instead of hopping to a separate thread pool and back: a third more
// refresh grants and twice the trivial requests per second on two cores (`make bench`). It
// must come before anything starts a task. Work that blocks for long (password hashing, SRP,
// key generation) runs on bounded thread pools of its own, never on a loop.
_ = NIOSingletons.unsafeTryInstallSingletonPosixEventLoopGroupAsConcurrencyGlobalExecutor()

exit(await CognateMain.run())
