import Foundation
import LakeCLI

exit(LakeCommand.runMain())
