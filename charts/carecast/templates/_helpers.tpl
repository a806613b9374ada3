{{/* The services this chart runs, in a fixed order. */}}
{{- define "carecast.components" -}}
planner publisher listener metrics
{{- end }}

{{- define "carecast.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* "<release>-<chart>", or the release name when it already contains the chart name. */}}
{{- define "carecast.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{- define "carecast.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Name of one service's objects. Call with (dict "root" $ "component" "planner"). */}}
{{- define "carecast.componentName" -}}
{{- printf "%s-%s" (include "carecast.fullname" .root | trunc 52 | trimSuffix "-") .component }}
{{- end }}

{{/* Recommended labels. Call with (dict "root" $ "component" "planner"), component optional. */}}
{{- define "carecast.labels" -}}
helm.sh/chart: {{ include "carecast.chart" .root }}
{{ include "carecast.selectorLabels" . }}
app.kubernetes.io/version: {{ .root.Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .root.Release.Service }}
app.kubernetes.io/part-of: carecast
{{- with .root.Values.commonLabels }}
{{ toYaml . }}
{{- end }}
{{- end }}

{{/* Selector labels: name + instance (+ component). */}}
{{- define "carecast.selectorLabels" -}}
app.kubernetes.io/name: {{ include "carecast.name" .root }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
{{- with .component }}
app.kubernetes.io/component: {{ . }}
{{- end }}
{{- end }}

{{/* "annotations:" from commonAnnotations merged with extra ones, or nothing.
     Call as {{- include "carecast.annotations" (dict "root" $ "extra" map "indent" 2) }}. */}}
{{- define "carecast.annotations" -}}
{{- $all := merge (deepCopy (default dict .extra)) (deepCopy .root.Values.commonAnnotations) }}
{{- with $all }}
{{- printf "annotations:\n%s" (toYaml . | indent 2) | nindent (int $.indent) }}
{{- end }}
{{- end }}

{{- define "carecast.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "carecast.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{/* Image reference. Call with (dict "root" $ "image" .Values.planner.image). */}}
{{- define "carecast.image" -}}
{{- $repo := .image.repository }}
{{- with .root.Values.image.registry }}
{{- $repo = printf "%s/%s" . $repo }}
{{- end }}
{{- if .image.digest }}
{{- printf "%s@%s" $repo .image.digest }}
{{- else }}
{{- printf "%s:%s" $repo (default (default .root.Chart.AppVersion .root.Values.image.tag) .image.tag) }}
{{- end }}
{{- end }}

{{- define "carecast.jwtSecretName" -}}
{{- default (printf "%s-jwt" (include "carecast.fullname" .)) .Values.auth.jwt.existingSecret }}
{{- end }}

{{/* Replica count a service runs with at least (for PDBs). */}}
{{- define "carecast.minReplicas" -}}
{{- $svc := .svc }}
{{- if and $svc.autoscaling $svc.autoscaling.enabled }}
{{- $svc.autoscaling.minReplicas }}
{{- else }}
{{- $svc.replicas }}
{{- end }}
{{- end }}

{{/*
"true" when any channel network has a baseUrl (an adapter is configured), else "".
*/}}
{{- define "carecast.networksConfigured" -}}
{{- range $net, $endpoint := .Values.channels.networks }}{{ if $endpoint.baseUrl }}true{{ end }}{{ end }}
{{- end }}
