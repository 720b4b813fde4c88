import ArgumentParser
import SaniEngine

/// Entry point: fixes OpenBLAS's kernel choice before anything runs, then dispatches the command.
@main
struct SaniEntry {
    static func main() {
        OpenBLASRuntime.ensureOptimalKernels()
        SaniCommand.main()
    }
}

struct SaniCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sani",
        abstract: "Sanitize language models fine-tuned on sensitive data.",
        subcommands: [SanitizeCommand.self, AuditCommand.self, TrainCommand.self, NewBertCommand.self, DemoDataCommand.self, DemoCommand.self, GenerateCommand.self, ConvertCommand.self, BenchCommand.self,
                      ServeCommand.self, SubmitCommand.self, StatusCommand.self, WaitCommand.self, DownloadCommand.self,
                      JobsCommand.self, CancelCommand.self, DeleteCommand.self]
    )
}
