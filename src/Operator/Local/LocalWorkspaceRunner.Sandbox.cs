using System.Runtime.InteropServices;
using System.Text;
using Catalyst.Contracts;
using Catalyst.Operator.Sandbox;
using Microsoft.Extensions.Logging;

namespace Catalyst.Operator;

/// <summary>The local runner's sandbox: bubblewrap's command line, the user, the control groups and the doors out.</summary>
public sealed partial class LocalWorkspaceRunner
{
    /// <summary>The sandbox's command line, user, limits and doors (see <see cref="SandboxCommand"/>), handed to the runner.</summary>
    private void PrepareSandbox(IDictionary<string, string?> env, IReadOnlyList<string> files, string? cliDirectory)
    {
        if (Environment.IsPrivilegedProcess) _uid ??= _users.Rent();
        var limits = Limits;
        _limits = WorkspaceLimits.Create(TaskId.ToString("N"), limits);

        var (passwd, group) = SandboxCommand.Identity(_uid ?? (int)GetUid(), HomeDirectory);
        var passwdFile = Path.Combine(RunnerOwnDirectory, "passwd");
        var groupFile = Path.Combine(RunnerOwnDirectory, "group");
        File.WriteAllText(passwdFile, passwd);
        File.WriteAllText(groupFile, group);

        var readOnly = new List<string> { _options.RunnerDirectory!, _options.CliCacheDirectory };
        readOnly.AddRange(_options.ToolDirectories);
        readOnly.AddRange(_options.SandboxReadOnlyPaths);
        if (cliDirectory is not null) readOnly.Add(cliDirectory);
        // The clone borrows the cache's objects; the agent may read them, never change them.
        if (_cache is { } cache) readOnly.Add(Path.Combine(cache, "objects"));
        var layout = new SandboxCommand.Layout(
            Directory,
            [RepositoryDirectory, HomeDirectory, HooksHomeDirectory, StateDirectory],
            files,
            readOnly,
            passwdFile,
            groupFile,
            _options.BrokerSocket,
            StartEgressProxy(env),
            Path.Combine(_options.RunnerDirectory!, "sandboxed.sh"));
        var argv = SandboxCommand.Build(_options.BubblewrapPath, layout, _uid, $"catalyst-{TaskId.ToString("N")[^8..]}", _limits is null ? limits.Processes : null);
        var argvFile = Path.Combine(RunnerOwnDirectory, "sandbox-argv");
        File.WriteAllText(argvFile, string.Concat(argv.Select(a => a + "\0")), new UTF8Encoding(false));

        env["CATALYST_SANDBOX_ARGV_FILE"] = argvFile;
        if (_uid is { } uid) env["CATALYST_SANDBOX_UID"] = uid.ToString(System.Globalization.CultureInfo.InvariantCulture);
        if (_limits is not null) env["CATALYST_CGROUP_PROCS"] = string.Join(':', _limits.ProcsFiles);
        env["CATALYST_BROKER_PORT"] = SandboxCommand.BrokerPort.ToString(System.Globalization.CultureInfo.InvariantCulture);
        env["CATALYST_BROKER_SOCKET"] = SandboxCommand.BrokerSocketInside;
    }

    /// <summary>The project's allowed hosts, through a proxy of this task's own; null (no door at all) when it allows none.</summary>
    private string? StartEgressProxy(IDictionary<string, string?> env)
    {
        var allow = EgressAllowList.Parse(_spec.EgressAllowList);
        if (allow.IsEmpty) return null;
        _egress = EgressProxy.Start(Path.Combine(Directory, "egress.sock"), allow,
            refused => _output!.TryWriteAsync(_protocol.System(refused, _time.GetUtcNow(), OutputStream.SystemWarning)), _logger);
        env["CATALYST_EGRESS_PORT"] = SandboxCommand.EgressPort.ToString(System.Globalization.CultureInfo.InvariantCulture);
        env["CATALYST_EGRESS_SOCKET"] = SandboxCommand.EgressSocketInside;
        var proxy = $"http://127.0.0.1:{SandboxCommand.EgressPort}";
        foreach (var name in new[] { "HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy" }) env[name] = proxy;
        // The broker is reached directly.
        env["NO_PROXY"] = env["no_proxy"] = "127.0.0.1,localhost";
        return _egress.SocketPath;
    }

    [LibraryImport("libc", EntryPoint = "getuid")]
    private static partial uint GetUid();
}
