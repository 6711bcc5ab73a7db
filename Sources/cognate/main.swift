import CognateWeb
import Foundation

exit(await CognateMain.run())
