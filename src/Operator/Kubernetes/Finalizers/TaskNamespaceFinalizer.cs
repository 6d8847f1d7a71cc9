using Catalyst.Operator.Kubernetes.Controllers;
using k8s;
using k8s.Autorest;
using k8s.Models;
using Microsoft.Extensions.Logging;

namespace Catalyst.Operator.Kubernetes.Finalizers;

/// <summary>
/// When an Environment is deleted: its task namespace goes, and everything in it with it (Job, pod, Secret, policies).
/// The Environment keeps its finalizer until the namespace is really gone, so nothing of a task outlives its record.
/// </summary>
public sealed class TaskNamespaceFinalizer(IKubernetes client, ILogger<TaskNamespaceFinalizer> logger)
{
    /// <summary>True once the namespace is gone; false while it is still terminating (look again).</summary>
    public async Task<bool> FinalizeAsync(TaskWorkspace workspace, CancellationToken cancellationToken)
    {
        V1Namespace existing;
        try
        {
            existing = await client.CoreV1.ReadNamespaceAsync(workspace.Namespace, cancellationToken: cancellationToken);
        }
        catch (HttpOperationException e) when (Environments.IsNotFound(e))
        {
            return true;
        }
        // Only a namespace this Environment made: never one that merely has the same name.
        if (existing.Metadata.Labels?.TryGetValue(TaskWorkspace.EnvironmentNameLabel, out var owner) != true || owner != TaskWorkspace.LabelValue(workspace.Environment.Metadata.Name))
        {
            logger.LogWarning("Namespace {Namespace} is not environment {Key}'s; leaving it", workspace.Namespace, workspace.Key);
            return true;
        }
        if (existing.Metadata.DeletionTimestamp is null)
        {
            try
            {
                await client.CoreV1.DeleteNamespaceAsync(workspace.Namespace, propagationPolicy: "Background", cancellationToken: cancellationToken);
                logger.LogInformation("Deleting namespace {Namespace} of environment {Key}", workspace.Namespace, workspace.Key);
            }
            catch (HttpOperationException e) when (Environments.IsNotFound(e))
            {
                return true;
            }
        }
        return false;
    }
}
