{{/* Chart name, truncated to the 63 characters of a DNS label. */}}
{{- define "pulse.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
Full name: <release>-<chart>, or the release name alone when it already contains the chart name. Kept to 50
characters so suffixes like "-ingest" and "-topics" still fit in 63.
*/}}
{{- define "pulse.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 50 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 50 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 50 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{- define "pulse.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Labels every object carries. */}}
{{- define "pulse.labels" -}}
helm.sh/chart: {{ include "pulse.chart" . }}
{{ include "pulse.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: pulse
{{- end }}

{{/* Labels that select this release's objects (add app.kubernetes.io/component to pick one role). */}}
{{- define "pulse.selectorLabels" -}}
app.kubernetes.io/name: {{ include "pulse.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{/* Labels of one component: (dict "ctx" $ "component" "query"). */}}
{{- define "pulse.componentLabels" -}}
{{ include "pulse.labels" .ctx }}
app.kubernetes.io/component: {{ .component }}
{{- end }}

{{- define "pulse.componentSelectorLabels" -}}
{{ include "pulse.selectorLabels" .ctx }}
app.kubernetes.io/component: {{ .component }}
{{- end }}

{{- define "pulse.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "pulse.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{/* The API Service: query nodes in distributed mode, the serve pod in embedded mode. */}}
{{- define "pulse.apiServiceName" -}}
{{- include "pulse.fullname" . }}
{{- end }}

{{- define "pulse.image" -}}
{{- if .Values.image.digest }}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest }}
{{- else }}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) }}
{{- end }}
{{- end }}

{{- define "pulse.configPath" -}}/etc/pulse/pulse.toml{{- end }}

{{/* A TOML float (3600 -> 3600.0). */}}
{{- define "pulse.tomlFloat" -}}
{{- $f := float64 . }}
{{- if eq $f (floor $f) }}{{ printf "%.1f" $f }}{{ else }}{{ $f }}{{ end }}
{{- end }}

{{/*
pulse.toml: the same config file `pulse` reads locally (`pulse <command> --config FILE`). The [serve]
section only in embedded mode, [kafka] only in distributed mode. Strings are written with toJson: its
escapes (\" \\ \n \uXXXX) are all valid in TOML basic strings. librdkafka properties are strings, so every
[kafka.properties] value is written as one (30000 -> "30000", true -> "true").
*/}}
{{- define "pulse.configToml" -}}
{{- $v := .Values -}}
# Pulse configuration, rendered by the Helm chart {{ include "pulse.chart" . }} (mode: {{ $v.mode }}).
{{- if eq $v.mode "embedded" }}

[serve]
replay = [{{ range $i, $d := $v.embedded.replay.datasets }}{{ if $i }}, {{ end }}{{ toJson $d }}{{ end }}]
speed = {{ include "pulse.tomlFloat" $v.embedded.replay.speed }}
loop = {{ int64 $v.embedded.replay.loop }}
{{- if gt (int64 $v.embedded.workers) 0 }}
workers = {{ int64 $v.embedded.workers }}
{{- end }}
{{- if $v.embedded.jetstream }}
jetstream = {{ toJson $v.embedded.jetstream }}
{{- end }}
checkpoint_interval = {{ toJson $v.embedded.checkpointInterval }}
{{- end }}

[http]
listen = {{ printf "0.0.0.0:%d" (int64 $v.http.port) | toJson }}

[trends]
bucket = {{ toJson $v.trends.bucket }}
window = {{ toJson $v.trends.window }}

[index]
state_dir = {{ toJson $v.index.stateDir }}
retention = {{ toJson $v.index.retention }}
commit_interval = {{ toJson $v.index.commitInterval }}
{{- if eq $v.mode "distributed" }}

[kafka]
brokers = {{ toJson $v.kafka.bootstrapServers }}
posts_topic = {{ toJson $v.kafka.topics.posts }}
rollups_topic = {{ toJson $v.kafka.topics.rollups }}
dlq_topic = {{ toJson $v.kafka.topics.dlq }}
group = {{ toJson $v.kafka.group }}
partitions = {{ int64 $v.kafka.partitions }}
replication_factor = {{ int64 $v.kafka.replicationFactor }}
flush_interval = {{ toJson $v.kafka.flushInterval }}
{{- $props := deepCopy (default (dict) $v.kafka.properties) }}
{{- if $v.kafka.tls.enabled }}
{{- $dir := trimSuffix "/" $v.kafka.tls.mountPath }}
{{- if $v.kafka.tls.caKey }}{{ $_ := set $props "ssl.ca.location" (printf "%s/%s" $dir $v.kafka.tls.caKey) }}{{ end }}
{{- if $v.kafka.tls.certKey }}{{ $_ := set $props "ssl.certificate.location" (printf "%s/%s" $dir $v.kafka.tls.certKey) }}{{ end }}
{{- if $v.kafka.tls.keyKey }}{{ $_ := set $props "ssl.key.location" (printf "%s/%s" $dir $v.kafka.tls.keyKey) }}{{ end }}
{{- end }}
{{- if $props }}

[kafka.properties]
{{- range $k := keys $props | sortAlpha }}
{{ toJson $k }} = {{ get $props $k | toString | toJson }}
{{- end }}
{{- end }}
{{- end }}
{{- with $v.extraConfig }}

{{ . }}
{{- end }}
{{ end }}

{{/* Checksum of the config: a change rolls every pod that reads it. */}}
{{- define "pulse.configChecksum" -}}
{{- include "pulse.configToml" . | sha256sum }}
{{- end }}

{{/* Pod annotations shared by the Pulse pods. */}}
{{- define "pulse.podAnnotations" -}}
checksum/config: {{ include "pulse.configChecksum" . }}
{{- with .Values.podAnnotations }}
{{ toYaml . }}
{{- end }}
{{- end }}

{{/* Pod-level spec shared by every Pulse pod. */}}
{{- define "pulse.podCommon" -}}
serviceAccountName: {{ include "pulse.serviceAccountName" . }}
automountServiceAccountToken: {{ .Values.serviceAccount.automountToken }}
{{- with .Values.imagePullSecrets }}
imagePullSecrets:
  {{- toYaml . | nindent 2 }}
{{- end }}
securityContext:
  {{- toYaml .Values.podSecurityContext | nindent 2 }}
{{- end }}

{{/* Container port, probes and security context shared by every Pulse container. */}}
{{- define "pulse.containerCommon" -}}
image: {{ include "pulse.image" . }}
imagePullPolicy: {{ .Values.image.pullPolicy }}
securityContext:
  {{- toYaml .Values.securityContext | nindent 2 }}
ports:
  - name: http
    containerPort: {{ .Values.http.port }}
    protocol: TCP
startupProbe:
  httpGet:
    path: {{ .Values.probes.startup.path }}
    port: http
  periodSeconds: {{ .Values.probes.startup.periodSeconds }}
  timeoutSeconds: {{ .Values.probes.startup.timeoutSeconds }}
  failureThreshold: {{ .Values.probes.startup.failureThreshold }}
livenessProbe:
  httpGet:
    path: {{ .Values.probes.liveness.path }}
    port: http
  initialDelaySeconds: {{ .Values.probes.liveness.initialDelaySeconds }}
  periodSeconds: {{ .Values.probes.liveness.periodSeconds }}
  timeoutSeconds: {{ .Values.probes.liveness.timeoutSeconds }}
  failureThreshold: {{ .Values.probes.liveness.failureThreshold }}
readinessProbe:
  httpGet:
    path: {{ .Values.probes.readiness.path }}
    port: http
  initialDelaySeconds: {{ .Values.probes.readiness.initialDelaySeconds }}
  periodSeconds: {{ .Values.probes.readiness.periodSeconds }}
  timeoutSeconds: {{ .Values.probes.readiness.timeoutSeconds }}
  failureThreshold: {{ .Values.probes.readiness.failureThreshold }}
{{- end }}

{{/* Environment shared by every Pulse container: (dict "ctx" $ "kafka" true). */}}
{{- define "pulse.env" -}}
- name: PULSE_CONFIG
  value: {{ include "pulse.configPath" .ctx }}
- name: HOME
  value: /tmp
- name: TMPDIR
  value: /tmp
{{- with .ctx.Values.extraEnv }}
{{ toYaml . }}
{{- end }}
{{- end }}

{{- define "pulse.envFrom" -}}
{{- if and .kafka .ctx.Values.kafka.existingSecret }}
- secretRef:
    name: {{ .ctx.Values.kafka.existingSecret }}
{{- end }}
{{- with .ctx.Values.extraEnvFrom }}
{{ toYaml . }}
{{- end }}
{{- end }}

{{/* Volume mounts shared by every Pulse container: config, /tmp, Kafka TLS (for Kafka roles), extras. */}}
{{- define "pulse.volumeMounts" -}}
- name: config
  mountPath: /etc/pulse/pulse.toml
  subPath: pulse.toml
  readOnly: true
- name: tmp
  mountPath: /tmp
{{- if and .kafka .ctx.Values.kafka.tls.enabled }}
- name: kafka-tls
  mountPath: {{ .ctx.Values.kafka.tls.mountPath }}
  readOnly: true
{{- end }}
{{- with .ctx.Values.extraVolumeMounts }}
{{ toYaml . }}
{{- end }}
{{- end }}

{{- define "pulse.volumes" -}}
- name: config
  configMap:
    name: {{ .configMap | default (include "pulse.fullname" .ctx) }}
- name: tmp
  emptyDir:
    sizeLimit: {{ .ctx.Values.tmpSizeLimit }}
{{- if and .kafka .ctx.Values.kafka.tls.enabled }}
- name: kafka-tls
  secret:
    secretName: {{ required "kafka.tls.secretName is required when kafka.tls.enabled is true" .ctx.Values.kafka.tls.secretName }}
    defaultMode: 0440
{{- end }}
{{- with .ctx.Values.extraVolumes }}
{{ toYaml . }}
{{- end }}
{{- end }}
