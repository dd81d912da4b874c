{{/*
The name of the objects: fullnameOverride, else the release name when it holds the chart's name,
else <release>-<name>.
*/}}
{{- define "usage-collector.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "usage-collector.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := include "usage-collector.name" . }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{/*
The Deployment's selector, which the pods and the Service use.
*/}}
{{- define "usage-collector.selectorLabels" -}}
app.kubernetes.io/name: {{ include "usage-collector.name" . }}
app.kubernetes.io/instance: {{ .Release.Name | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
The labels of deploy/collector and the selector, which every object and pod carries.
*/}}
{{- define "usage-collector.podLabels" -}}
{{ include "usage-collector.selectorLabels" . }}
app.kubernetes.io/component: usage-collector
app.kubernetes.io/part-of: kubeflow-on-aws
{{- with .Values.labels }}
{{ toYaml . }}
{{- end }}
{{- end }}

{{/*
The labels of every object: the pods' labels and Helm's own.
*/}}
{{- define "usage-collector.labels" -}}
{{ include "usage-collector.podLabels" . }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
{{- end }}

{{/*
metadata.labels and metadata.annotations of an object: the labels above, the user's
`annotations` and those of the object. Call with (dict "root" $ "annotations" DICT).
*/}}
{{- define "usage-collector.metadata" -}}
labels:
  {{- include "usage-collector.labels" .root | nindent 2 }}
{{- with merge (dict) (.annotations | default dict) (.root.Values.annotations | default dict) }}
annotations:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- end }}

{{/*
The metrics Service's name: <fullname>-metrics, within the 63 characters a Service name may have.
*/}}
{{- define "usage-collector.metricsServiceName" -}}
{{- printf "%s-metrics" (include "usage-collector.fullname" . | trunc 55 | trimSuffix "-") -}}
{{- end }}

{{/*
The image reference: repository:tag, and @digest when one is given.
*/}}
{{- define "usage-collector.image" -}}
{{- $image := .Values.image -}}
{{- printf "%s:%s" $image.repository ($image.tag | default .Chart.AppVersion) -}}
{{- with $image.digest }}@{{ . }}{{ end -}}
{{- end }}

{{/*
A Secret's name: the value given, else <fullname>-<suffix>. Call with (list $ NAME SUFFIX).
*/}}
{{- define "usage-collector.secretName" -}}
{{- $root := index . 0 -}}
{{- index . 1 | default (printf "%s-%s" (include "usage-collector.fullname" $root) (index . 2)) -}}
{{- end }}

{{/*
nodeSelector, tolerations and affinity. The image is linux/amd64 only (on an arm64 node it dies
with "exec format error"), so the required node affinity holds kubernetes.io/arch In [amd64] in
every term: the user's terms add to it. Call with .Values.
*/}}
{{- define "usage-collector.scheduling" -}}
{{- with .nodeSelector }}
nodeSelector:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .tolerations }}
tolerations:
  {{- toYaml . | nindent 2 }}
{{- end }}
affinity:
  nodeAffinity:
    requiredDuringSchedulingIgnoredDuringExecution:
      nodeSelectorTerms:
        {{- range (.nodeAffinity.requiredTerms | default (list (dict))) }}
        - matchExpressions:
            - key: kubernetes.io/arch
              operator: In
              values: ["amd64"]
            {{- with .matchExpressions }}
            {{- toYaml . | nindent 12 }}
            {{- end }}
          {{- with .matchFields }}
          matchFields:
            {{- toYaml . | nindent 12 }}
          {{- end }}
        {{- end }}
    {{- with .nodeAffinity.preferred }}
    preferredDuringSchedulingIgnoredDuringExecution:
      {{- toYaml . | nindent 6 }}
    {{- end }}
{{- end }}

{{/*
Value sets that the schema cannot refuse but that cannot work: each fails `helm template`,
`helm install` and `helm upgrade` with a message naming the values.
*/}}
{{- define "usage-collector.validate" -}}
{{- $values := .Values -}}
{{- if and (eq $values.storage.type "sqlite") (gt (int $values.replicas) 1) -}}
{{- fail (printf "replicas=%d with storage.type=sqlite cannot work: the SQLite file has one writer on a ReadWriteOnce volume. Set replicas=1, or storage.type=postgres for several collectors" (int $values.replicas)) -}}
{{- end -}}
{{- if eq (int $values.minCount) 1 -}}
{{- fail "minCount=1 cannot work: it hides counts below 1, that is none; use 0 to show every count, or 2 or more" -}}
{{- end -}}
{{- if eq (int $values.metrics.port) 8080 -}}
{{- fail "metrics.port=8080 cannot work: 8080 is the collector's public port; the operations listener needs a port of its own (9090 by default)" -}}
{{- end -}}
{{- if and $values.ingress.enabled $values.ingress.tlsSecretName (not $values.ingress.host) -}}
{{- fail "ingress.tlsSecretName needs ingress.host: the TLS certificate is for one host name" -}}
{{- end -}}
{{- end }}
