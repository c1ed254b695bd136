/// The machine the figures come from, and the table they end in.
module Taskcluster.SideBySide.Report

open System
open System.Diagnostics
open System.IO
open System.Runtime.InteropServices

let private firstLine (path: string) (prefix: string) =
    try
        File.ReadLines path
        |> Seq.tryFind (fun l -> l.StartsWith prefix)
        |> Option.map (fun l -> l.Substring(prefix.Length).Trim().TrimStart(':').Trim().Trim('"'))
    with _ ->
        None

/// The output of a short command, or `unknown`.
let commandOutput (exe: string) (args: string list) =
    try
        let psi =
            ProcessStartInfo(exe, args, RedirectStandardOutput = true, UseShellExecute = false)

        use p = Process.Start psi
        let text = p.StandardOutput.ReadToEnd().Trim()
        p.WaitForExit()
        if p.ExitCode = 0 && text <> "" then text else "unknown"
    with _ ->
        "unknown"

/// The 1-minute load average, when the OS tells.
let loadAverage () =
    try
        (File.ReadAllText "/proc/loadavg").Split(' ')[0]
    with _ ->
        "?"

/// One line per fact about the machine and the software measured.
let machine (packageVersions: (string * string) list) =
    let cpu =
        firstLine "/proc/cpuinfo" "model name"
        |> Option.defaultValue (RuntimeInformation.ProcessArchitecture.ToString())

    let os =
        firstLine "/etc/os-release" "PRETTY_NAME="
        |> Option.map (fun n -> $"{n} (kernel {Environment.OSVersion.Version})")
        |> Option.defaultValue RuntimeInformation.OSDescription

    [
        $"CPU: {cpu}, {Environment.ProcessorCount} cores"
        $"OS: {os}"
        $"""Runtimes: {RuntimeInformation.FrameworkDescription}, Node.js {commandOutput "node" [ "--version" ]}"""
        "JS packages: "
        + String.Join(", ", [ for name, version in packageVersions -> $"{name} {version}" ])
    ]

/// A figure with its unit, thousands separated.
let figure (unit: string) (value: float) =
    if Double.IsNaN value then "—"
    elif value >= 100.0 then $"{value:N0} {unit}"
    else $"{value:N1} {unit}"

/// A ratio as `3.2×`.
let ratio (a: float) (b: float) =
    if Double.IsNaN a || Double.IsNaN b || b = 0.0 then
        "—"
    else
        $"{a / b:N2}×"

/// A percentage of the ceiling.
let percent (a: float) (b: float) =
    if Double.IsNaN a || Double.IsNaN b || b = 0.0 then
        "—"
    else
        $"{100.0 * a / b:N0} %%"

/// KiB as MiB.
let mib (kib: int64 option) =
    match kib with
    | Some k -> $"{float k / 1024.0:N0} MiB"
    | None -> "—"

/// A markdown table.
let table (header: string list) (rows: string list list) =
    let line (cells: string list) = "| " + String.Join(" | ", cells) + " |"

    let rule = "|" + String.Join("|", [ for _ in header -> "---" ]) + "|"
    line header :: rule :: List.map line rows
