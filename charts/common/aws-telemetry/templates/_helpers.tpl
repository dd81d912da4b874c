{{/*
The labels of the kustomize component awsconfigs/common/aws-telemetry, which every object, Job
template and pod carries.
*/}}
{{- define "aws-telemetry.componentLabels" -}}
app.kubernetes.io/name: aws-kubeflow-telemetry
app.kubernetes.io/component: usage-agent
app.kubernetes.io/part-of: kubeflow-on-aws
{{- end }}

{{/*
Labels of every object: the component's, Helm's own, and the user's `labels`.
*/}}
{{- define "aws-telemetry.labels" -}}
{{ include "aws-telemetry.componentLabels" . }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/instance: {{ .Release.Name | trunc 63 | trimSuffix "-" }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
{{- with .Values.labels }}
{{ toYaml . }}
{{- end }}
{{- end }}

{{/*
metadata.labels and metadata.annotations of an object.
*/}}
{{- define "aws-telemetry.metadata" -}}
labels:
  {{- include "aws-telemetry.labels" . | nindent 2 }}
{{- with .Values.annotations }}
annotations:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- end }}

{{/*
The pod template of the CronJob and of the install Job. Call with (dict "root" $ "args" LIST).
*/}}
{{- define "aws-telemetry.podTemplate" -}}
{{- $ := .root -}}
{{- $values := $.Values -}}
metadata:
  annotations:
    {{- with $values.podAnnotations }}
    {{- toYaml . | nindent 4 }}
    {{- end }}
    # No traffic to or from the mesh: an Istio sidecar would also keep the Job running.
    sidecar.istio.io/inject: "false"
  labels:
    {{- include "aws-telemetry.componentLabels" $ | nindent 4 }}
    {{- with $values.labels }}
    {{- toYaml . | nindent 4 }}
    {{- end }}
    {{- with $values.podLabels }}
    {{- toYaml . | nindent 4 }}
    {{- end }}
spec:
  restartPolicy: Never
  {{- if $values.kubernetesAPIFallback.enabled }}
  serviceAccountName: aws-kubeflow-telemetry
  automountServiceAccountToken: true
  {{- else }}
  automountServiceAccountToken: false
  {{- end }}
  enableServiceLinks: false
  {{- include "aws-telemetry.scheduling" $values | trim | nindent 2 }}
  securityContext:
    runAsNonRoot: true
    runAsUser: 65532
    runAsGroup: 65532
    seccompProfile:
      type: RuntimeDefault
  containers:
    - name: usage-agent
      image: {{ include "aws-telemetry.image" $ | quote }}
      imagePullPolicy: {{ $values.image.pullPolicy }}
      command: ["/usr/local/bin/usage-agent"]
      {{- with .args }}
      args:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      envFrom:
        - configMapRef:
            name: aws-kubeflow-telemetry-config
      {{- if $values.kubernetesAPIFallback.enabled }}
      env:
        - name: NODE_NAME
          valueFrom:
            fieldRef:
              fieldPath: spec.nodeName
      {{- end }}
      resources:
        {{- toYaml $values.resources | nindent 8 }}
      securityContext:
        runAsNonRoot: true
        runAsUser: 65532
        runAsGroup: 65532
        allowPrivilegeEscalation: false
        readOnlyRootFilesystem: true
        capabilities:
          drop: ["ALL"]
        seccompProfile:
          type: RuntimeDefault
      {{- if include "aws-telemetry.caBundleSource" $values }}
      volumeMounts:
        - name: ca-bundle
          mountPath: /etc/usage-agent-ca
          readOnly: true
      {{- end }}
  {{- with include "aws-telemetry.caBundleSource" $values }}
  volumes:
    - name: ca-bundle
      {{- . | nindent 6 }}
  {{- end }}
{{- end }}

{{/*
The image reference: repository:tag, and @digest when one is given.
*/}}
{{- define "aws-telemetry.image" -}}
{{- $image := .Values.image -}}
{{- printf "%s:%s" $image.repository ($image.tag | default .Chart.AppVersion) -}}
{{- with $image.digest }}@{{ . }}{{ end -}}
{{- end }}

{{/*
The volume source of the CA bundle (configMap or secret, the one key), or nothing.
Call with .Values.
*/}}
{{- define "aws-telemetry.caBundleSource" -}}
{{- $ca := .caBundle -}}
{{- if $ca.configMapName -}}
configMap:
  name: {{ $ca.configMapName }}
  items:
    - key: {{ $ca.key }}
      path: {{ $ca.key }}
{{- else if $ca.secretName -}}
secret:
  secretName: {{ $ca.secretName }}
  items:
    - key: {{ $ca.key }}
      path: {{ $ca.key }}
{{- end -}}
{{- end }}

{{/*
nodeSelector, tolerations and affinity. The image is linux/amd64 only (on an arm64 node it dies
with "exec format error"), so the required node affinity holds kubernetes.io/arch In [amd64] in
every term: the user's terms add to it. Call with .Values.
*/}}
{{- define "aws-telemetry.scheduling" -}}
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
{{- define "aws-telemetry.validate" -}}
{{- $values := .Values -}}
{{- if and (eq $values.config.protocol "json") (not $values.config.collectorURL) -}}
{{- fail "config.collectorURL is required with config.protocol=json: the agent posts to {collectorURL}/v1/pings" -}}
{{- end -}}
{{- if and (eq $values.config.nodeChoice "oldest") (not $values.kubernetesAPIFallback.enabled) -}}
{{- fail "config.nodeChoice=oldest needs kubernetesAPIFallback.enabled=true: without it the agent may not list the cluster's nodes" -}}
{{- end -}}
{{- if and $values.caBundle.configMapName $values.caBundle.secretName -}}
{{- fail "caBundle.configMapName and caBundle.secretName are both set: name the CA bundle's ConfigMap or its Secret, not both" -}}
{{- end -}}
{{- end }}
