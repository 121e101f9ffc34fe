{{/* Names: at most 40 characters, so a Job's pods ($(job)-$(index)-xxxxx) stay valid. */}}
{{- define "ferry.fullname" -}}
{{- if contains .Chart.Name .Release.Name -}}
{{- .Release.Name | trunc 40 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 40 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{- define "ferry.labels" -}}
app.kubernetes.io/name: {{ .Chart.Name }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
{{- end -}}

{{/*
The memory budget in MiB: the limit minus a headroom of max(128 MiB, limit/4) for what is not
row data in flight (the batch being encoded, client libraries' buffers, code). Peak RSS stays
under budget + 128 MiB in the benchmarks (docs/benchmarks.md); the quarter covers larger limits.
*/}}
{{- define "ferry.memoryBudgetMiB" -}}
{{- $limit := int .Values.memoryLimitMiB -}}
{{- if lt $limit 256 -}}
{{- fail (printf "memoryLimitMiB is %d; Ferry needs at least 256 (a 128 MiB budget plus 128 MiB headroom)" $limit) -}}
{{- end -}}
{{- $max := sub $limit (max 128 (div $limit 4)) -}}
{{- if kindIs "invalid" .Values.memoryBudgetMiB -}}
{{- $max -}}
{{- else -}}
{{- $b := int .Values.memoryBudgetMiB -}}
{{- if or (lt $b 1) (gt $b $max) -}}
{{- fail (printf "memoryBudgetMiB %d must be between 1 and %d (memoryLimitMiB %d minus max(128, limit/4))" $b $max $limit) -}}
{{- end -}}
{{- $b -}}
{{- end -}}
{{- end -}}

{{- define "ferry.parallelism" -}}
{{- $t := int .Values.shards.total -}}
{{- $p := int .Values.shards.parallelism -}}
{{- if or (eq $p 0) (gt $p $t) -}}{{ $t }}{{- else -}}{{ $p }}{{- end -}}
{{- end -}}

{{/* The spec of the Job, shared by the Job and the CronJob's jobTemplate. */}}
{{- define "ferry.jobSpec" -}}
{{- $total := int .Values.shards.total -}}
{{- if lt $total 1 -}}{{ fail "shards.total must be at least 1" }}{{- end -}}
completionMode: Indexed
completions: {{ $total }}
parallelism: {{ include "ferry.parallelism" . }}
backoffLimitPerIndex: {{ int .Values.shards.backoffLimitPerIndex }}
{{- with .Values.shards.maxFailedIndexes }}
maxFailedIndexes: {{ int . }}
{{- end }}
podReplacementPolicy: Failed
podFailurePolicy:
  rules:
    - action: FailIndex
      onExitCodes:
        containerName: ferry
        operator: In
        values: [2]
    - action: Ignore
      onPodConditions:
        - type: DisruptionTarget
ttlSecondsAfterFinished: {{ int .Values.ttlSecondsAfterFinished }}
{{- with .Values.activeDeadlineSeconds }}
activeDeadlineSeconds: {{ int . }}
{{- end }}
template:
  metadata:
    labels:
      {{- include "ferry.labels" . | nindent 6 }}
      {{- with .Values.podLabels }}
      {{- toYaml . | nindent 6 }}
      {{- end }}
    {{- with .Values.podAnnotations }}
    annotations:
      {{- toYaml . | nindent 6 }}
    {{- end }}
  spec:
    restartPolicy: Never
    automountServiceAccountToken: false
    {{- with .Values.imagePullSecrets }}
    imagePullSecrets:
      {{- toYaml . | nindent 6 }}
    {{- end }}
    securityContext:
      runAsNonRoot: true
      runAsUser: {{ int .Values.runAsUser }}
      runAsGroup: {{ int .Values.runAsUser }}
      fsGroup: {{ int .Values.runAsUser }}
      seccompProfile:
        type: RuntimeDefault
    {{- with .Values.sidecars }}
    # Sidecars (e.g. a CloudQuery plugin served over gRPC): init containers that keep running
    # beside ferry and are stopped when it exits, so the shard's pod completes.
    initContainers:
      {{- range . }}
      - {{- toYaml (merge (dict "restartPolicy" "Always") .) | nindent 8 }}
      {{- end }}
    {{- end }}
    containers:
      - name: ferry
        image: {{ printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) | quote }}
        imagePullPolicy: {{ .Values.image.pullPolicy }}
        args:
          - --log-format
          - {{ .Values.logFormat | quote }}
          - --no-log-file
          - sync
          - /etc/ferry/spec
          - --no-progress
          - --memory-budget
          - {{ printf "%sMiB" (include "ferry.memoryBudgetMiB" .) }}
          {{- range .Values.extraArgs }}
          - {{ . | quote }}
          {{- end }}
        workingDir: /var/lib/ferry
        env:
          - name: FERRY_SHARD_TOTAL
            value: {{ $total | quote }}
          - name: FERRY_SHARD_RUN
            valueFrom:
              fieldRef:
                fieldPath: metadata.labels['batch.kubernetes.io/controller-uid']
          {{- range .Values.secretEnv }}
          - name: {{ . }}
            valueFrom:
              secretKeyRef:
                name: {{ $.Values.secret.name }}
                key: {{ . }}
          {{- end }}
          {{- with .Values.extraEnv }}
          {{- toYaml . | nindent 10 }}
          {{- end }}
        resources:
          requests:
            cpu: {{ .Values.cpu.request | quote }}
            memory: {{ printf "%dMi" (int .Values.memoryLimitMiB) }}
          limits:
            {{- with .Values.cpu.limit }}
            cpu: {{ . | quote }}
            {{- end }}
            memory: {{ printf "%dMi" (int .Values.memoryLimitMiB) }}
        securityContext:
          readOnlyRootFilesystem: true
          allowPrivilegeEscalation: false
          privileged: false
          capabilities:
            drop: [ALL]
        volumeMounts:
          - name: spec
            mountPath: /etc/ferry/spec
            readOnly: true
          - name: work
            mountPath: /var/lib/ferry
          - name: tmp
            mountPath: /tmp
    volumes:
      - name: spec
        configMap:
          name: {{ include "ferry.fullname" . }}-spec
      - name: work
        emptyDir:
          sizeLimit: {{ .Values.scratchSizeLimit }}
      - name: tmp
        emptyDir:
          sizeLimit: {{ .Values.scratchSizeLimit }}
    {{- with .Values.nodeSelector }}
    nodeSelector:
      {{- toYaml . | nindent 6 }}
    {{- end }}
    {{- with .Values.tolerations }}
    tolerations:
      {{- toYaml . | nindent 6 }}
    {{- end }}
    {{- with .Values.affinity }}
    affinity:
      {{- toYaml . | nindent 6 }}
    {{- end }}
{{- end -}}
